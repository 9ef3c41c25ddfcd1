package io.pgbridge.publish;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.pgbridge.config.BridgeConfig.ValueFormat;
import io.pgbridge.fetch.SessionRow;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * Builds the record for one fetched session according to the record contract: key is the
 * session id as text; value is the {@code envelope} JSON object with {@code raw_state}
 * embedded as JSON, or the {@code raw} bytes unchanged; headers carry project id, version,
 * updated-at and the sources that triggered the record. Pure: no I/O, thread-safe.
 */
public final class RecordBuilder {

  public static final String HEADER_PROJECT_ID = "pgbridge.project_id";
  public static final String HEADER_VERSION = "pgbridge.version";
  public static final String HEADER_UPDATED_AT = "pgbridge.updated_at";
  public static final String HEADER_SOURCES = "pgbridge.sources";
  public static final String HEADER_DELETED = "pgbridge.deleted";

  private static final JsonFactory JSON = new JsonFactory();
  private static final byte[] NULL = "null".getBytes(StandardCharsets.US_ASCII);

  private final ValueFormat format;
  private final boolean validateState;

  /**
   * @param validateState check that each state is one JSON value before embedding it; needed
   *     only when the column is not {@code jsonb} (PostgreSQL already guarantees jsonb text)
   */
  public RecordBuilder(ValueFormat format, boolean validateState) {
    this.format = format;
    this.validateState = validateState;
  }

  /** The record for a stored session; {@code sources} is the rendered list of triggers. */
  public StateRecord build(SessionRow row, String sources) throws InvalidStateException {
    byte[] state = row.rawState();
    if (state != null && validateState) {
      validate(row.id(), state);
    }
    List<StateRecord.Header> headers = headers(row, sources);
    String project = row.projectId() == null ? null : row.projectId().toString();
    String updated = row.updatedAt() == null ? null : row.updatedAt().toString();
    byte[] value = switch (format) {
      case RAW -> state == null ? NULL : state;
      case ENVELOPE -> envelope(row.id(), project, row.version(), updated, state);
    };
    return new StateRecord(key(row.id()), value, headers);
  }

  /**
   * The headers of the record for {@code row}: also what a dead letter carries when the
   * record itself cannot be built.
   */
  public List<StateRecord.Header> headers(SessionRow row, String sources) {
    List<StateRecord.Header> headers = new ArrayList<>(4);
    headers.add(header(HEADER_PROJECT_ID, row.projectId() == null ? null
        : row.projectId().toString()));
    headers.add(header(HEADER_VERSION, Long.toString(row.version())));
    headers.add(header(HEADER_UPDATED_AT, row.updatedAt() == null ? null
        : row.updatedAt().toString()));
    headers.add(header(HEADER_SOURCES, sources));
    return headers;
  }

  /** The tombstone for a deleted session. */
  public StateRecord tombstone(UUID id, String sources) {
    List<StateRecord.Header> headers = List.of(header(HEADER_DELETED, "true"),
        header(HEADER_SOURCES, sources));
    return new StateRecord(key(id), null, headers);
  }

  public static byte[] key(UUID id) {
    return id.toString().getBytes(StandardCharsets.US_ASCII);
  }

  private static byte[] envelope(UUID id, String project, long version, String updated,
      byte[] state) {
    byte[] stateBytes = state == null ? NULL : state;
    ByteArrayOutputStream out = new ByteArrayOutputStream(stateBytes.length + 160);
    ascii(out, "{\"sessionId\":\"");
    ascii(out, id.toString());
    ascii(out, "\",\"projectId\":");
    quotedOrNull(out, project);
    ascii(out, ",\"version\":");
    ascii(out, Long.toString(version));
    ascii(out, ",\"updatedAt\":");
    quotedOrNull(out, updated);
    ascii(out, ",\"state\":");
    out.write(stateBytes, 0, stateBytes.length);
    out.write('}');
    return out.toByteArray();
  }

  /** Only UUIDs and ISO instants are quoted here: neither needs escaping. */
  private static void quotedOrNull(ByteArrayOutputStream out, String s) {
    if (s == null) {
      out.write(NULL, 0, NULL.length);
    } else {
      out.write('"');
      ascii(out, s);
      out.write('"');
    }
  }

  private static void ascii(ByteArrayOutputStream out, String s) {
    for (int i = 0; i < s.length(); i++) {
      out.write(s.charAt(i));
    }
  }

  private static StateRecord.Header header(String key, String value) {
    return new StateRecord.Header(key,
        value == null ? null : value.getBytes(StandardCharsets.UTF_8));
  }

  private static void validate(UUID id, byte[] state) throws InvalidStateException {
    try (JsonParser p = JSON.createParser(state)) {
      JsonToken first = p.nextToken();
      if (first == null) {
        throw new InvalidStateException("raw_state of session " + id + " is empty", null);
      }
      p.skipChildren();
      if (p.nextToken() != null) {
        throw new InvalidStateException(
            "raw_state of session " + id + " has content after its JSON value", null);
      }
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new InvalidStateException(
          "raw_state of session " + id + " is not valid JSON: " + e.getOriginalMessage(), e);
    } catch (IOException e) {
      throw new InvalidStateException("raw_state of session " + id + " cannot be read", e);
    }
  }
}
