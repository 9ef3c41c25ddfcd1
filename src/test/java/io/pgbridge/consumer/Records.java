package io.pgbridge.consumer;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

/** Builds state-topic records the way the bridge writes them, for the consumer's unit tests. */
final class Records {

  private long nextOffset;

  /** An envelope record of {@code session} in {@code project} at {@code version}. */
  TopicRecord state(String session, String project, long version, String stateJson) {
    String value = "{\"sessionId\":\"" + session + "\",\"projectId\":\"" + project
        + "\",\"version\":" + version + ",\"updatedAt\":\"2026-12-02T10:00:00Z\",\"state\":"
        + stateJson + "}";
    Map<String, String> headers = new HashMap<>();
    headers.put(RecordContract.HEADER_PROJECT_ID, project);
    headers.put(RecordContract.HEADER_VERSION, Long.toString(version));
    headers.put(RecordContract.HEADER_UPDATED_AT, "2026-12-02T10:00:00Z");
    return new TopicRecord(0, nextOffset++, 1_000, session,
        value.getBytes(StandardCharsets.UTF_8), headers);
  }

  TopicRecord state(String session, String project, long version) {
    return state(session, project, version, "{\"status\":\"running\",\"v\":" + version + "}");
  }

  TopicRecord tombstone(String session) {
    return new TopicRecord(0, nextOffset++, 1_000, session, null,
        Map.of(RecordContract.HEADER_DELETED, "true"));
  }

  static StateView view() {
    return new StateView(new RecordDecoder(RecordContract.ValueFormat.ENVELOPE, "status"),
        RetentionPolicy.keepAll(1_000));
  }
}
