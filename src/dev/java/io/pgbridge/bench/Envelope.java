package io.pgbridge.bench;

import java.nio.charset.StandardCharsets;

/** pgbridge's envelope value, for the peers that are not pgbridge (same check for all). */
final class Envelope {

  private Envelope() {}

  static byte[] json(String sessionId, String projectId, long version, String updatedAt,
      String stateJson) {
    StringBuilder sb = new StringBuilder(stateJson == null ? 128 : stateJson.length() + 160);
    sb.append("{\"sessionId\":\"").append(sessionId).append("\",\"projectId\":")
        .append(projectId == null ? "null" : "\"" + projectId + "\"")
        .append(",\"version\":").append(version).append(",\"updatedAt\":")
        .append(updatedAt == null ? "null" : "\"" + updatedAt + "\"")
        .append(",\"state\":").append(stateJson == null ? "null" : stateJson).append('}');
    return sb.toString().getBytes(StandardCharsets.UTF_8);
  }
}
