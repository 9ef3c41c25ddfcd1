package io.pgbridge.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pgbridge.consumer.Position;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A message from a client, parsed and checked: {@code subscribe} or {@code unsubscribe} with
 * projects, sessions, the versions the client already holds ({@code have}) and a position to
 * resume from ({@code since}). Anything else is a {@link BadRequest} with a message for the
 * client. Pure.
 *
 * @param id the client's own request id, echoed in {@code synced} and {@code error}; may be null
 * @param since null when not given
 */
record ClientMessage(String type, String id, List<String> projects, List<String> sessions,
    Map<String, Long> have, Position since) {

  static final int MAX_ID_LENGTH = 200;
  private static final ObjectMapper JSON = new ObjectMapper();

  /** A message that cannot be understood; the text is shown to the client. */
  static final class BadRequest extends Exception {
    private static final long serialVersionUID = 1L;

    BadRequest(String message) {
      super(message);
    }
  }

  static ClientMessage parse(String text) throws BadRequest {
    JsonNode n;
    try {
      n = JSON.readTree(text);
    } catch (IOException e) {
      throw new BadRequest("not JSON");
    }
    if (n == null || !n.isObject()) {
      throw new BadRequest("a message is a JSON object with a type");
    }
    String type = n.path("type").asText("");
    if (!type.equals("subscribe") && !type.equals("unsubscribe")) {
      throw new BadRequest("unknown type '" + type + "' (subscribe or unsubscribe)");
    }
    String id = n.hasNonNull("id") ? n.get("id").asText() : null;
    if (id != null && id.length() > MAX_ID_LENGTH) {
      throw new BadRequest("id is too long");
    }
    return new ClientMessage(type, id, ids(n, "projects"), ids(n, "sessions"), have(n),
        since(n.get("since")));
  }

  /** Builds a subscription from SSE query parameters. */
  static ClientMessage subscription(List<String> projects, List<String> sessions, String since)
      throws BadRequest {
    for (String s : projects) {
      checkId("projects", s);
    }
    for (String s : sessions) {
      checkId("sessions", s);
    }
    return new ClientMessage("subscribe", null, projects, sessions, Map.of(),
        since == null || since.isBlank() ? null : parsePosition(since));
  }

  private static List<String> ids(JsonNode n, String field) throws BadRequest {
    JsonNode a = n.get(field);
    List<String> out = new ArrayList<>();
    if (a == null || a.isNull()) {
      return out;
    }
    if (!a.isArray()) {
      throw new BadRequest(field + " must be a list of ids");
    }
    for (JsonNode e : a) {
      if (!e.isTextual()) {
        throw new BadRequest(field + " must be a list of ids");
      }
      checkId(field, e.asText());
      out.add(e.asText());
    }
    return out;
  }

  private static void checkId(String field, String id) throws BadRequest {
    if (id.isEmpty() || id.length() > MAX_ID_LENGTH) {
      throw new BadRequest(field + " holds an empty or too long id");
    }
  }

  private static Map<String, Long> have(JsonNode n) throws BadRequest {
    JsonNode h = n.get("have");
    Map<String, Long> out = new LinkedHashMap<>();
    if (h == null || h.isNull()) {
      return out;
    }
    if (!h.isObject()) {
      throw new BadRequest("have maps session ids to the versions held");
    }
    for (Iterator<Map.Entry<String, JsonNode>> it = h.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      if (!e.getValue().canConvertToLong() || !e.getValue().isIntegralNumber()) {
        throw new BadRequest("have maps session ids to the versions held (integers)");
      }
      checkId("have", e.getKey());
      out.put(e.getKey(), e.getValue().asLong());
    }
    return out;
  }

  private static Position since(JsonNode n) throws BadRequest {
    if (n == null || n.isNull() || n.asText().isEmpty()) {
      return null;
    }
    if (!n.isTextual()) {
      throw new BadRequest("since is a position string (partition:offset,...)");
    }
    return parsePosition(n.asText());
  }

  private static Position parsePosition(String text) throws BadRequest {
    try {
      return Position.parse(text);
    } catch (IllegalArgumentException e) {
      throw new BadRequest("since: " + e.getMessage());
    }
  }

  int count() {
    return projects.size() + sessions.size();
  }
}
