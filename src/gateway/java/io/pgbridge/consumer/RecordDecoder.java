package io.pgbridge.consumer;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import io.pgbridge.consumer.RecordContract.ValueFormat;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Reads a non-tombstone state record into its parts: the contract's headers first (they are
 * always there), the envelope's fields where a header is missing, and the state JSON as a
 * slice of the value's bytes (no re-serialisation). Also picks the state's top-level status
 * field for the retention policy. Pure and thread-safe.
 */
public final class RecordDecoder {

  private static final JsonFactory JSON = new JsonFactory();
  private static final byte[] NULL = "null".getBytes(StandardCharsets.US_ASCII);

  private final ValueFormat format;
  private final String statusField;

  public RecordDecoder(ValueFormat format, String statusField) {
    this.format = format;
    this.statusField = statusField;
  }

  /** The parts of one record. */
  public record Decoded(String projectId, long version, String updatedAt, byte[] state,
      String status) {}

  /** Thrown for a record that breaks the contract; the view skips and counts it. */
  public static final class InvalidRecordException extends Exception {
    private static final long serialVersionUID = 1L;

    public InvalidRecordException(String message) {
      super(message);
    }
  }

  public Decoded decode(TopicRecord record) throws InvalidRecordException {
    if (record.key() == null || record.key().isEmpty()) {
      throw new InvalidRecordException("record without a key");
    }
    String project = record.header(RecordContract.HEADER_PROJECT_ID);
    String versionText = record.header(RecordContract.HEADER_VERSION);
    String updated = record.header(RecordContract.HEADER_UPDATED_AT);
    byte[] state;
    Long version = versionText == null ? null : parseVersion(versionText);
    if (format == ValueFormat.ENVELOPE) {
      Envelope e = envelope(record.value());
      state = e.state;
      project = project != null ? project : e.projectId;
      updated = updated != null ? updated : e.updatedAt;
      version = version != null ? version : e.version;
    } else {
      state = record.value();
    }
    if (version == null) {
      throw new InvalidRecordException("no version (header " + RecordContract.HEADER_VERSION
          + ")");
    }
    return new Decoded(project, version, updated, state, status(state));
  }

  private static long parseVersion(String text) throws InvalidRecordException {
    try {
      return Long.parseLong(text.trim());
    } catch (NumberFormatException e) {
      throw new InvalidRecordException("version header is not a number: " + text);
    }
  }

  private static final class Envelope {
    String projectId;
    String updatedAt;
    Long version;
    byte[] state = NULL;
  }

  private static Envelope envelope(byte[] value) throws InvalidRecordException {
    Envelope e = new Envelope();
    try (JsonParser p = JSON.createParser(value)) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        throw new InvalidRecordException("envelope is not a JSON object");
      }
      boolean sawState = false;
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String name = p.currentName();
        JsonToken t = p.nextToken();
        switch (name) {
          case RecordContract.FIELD_PROJECT_ID -> e.projectId = t == JsonToken.VALUE_NULL ? null
              : p.getValueAsString();
          case RecordContract.FIELD_UPDATED_AT -> e.updatedAt = t == JsonToken.VALUE_NULL ? null
              : p.getValueAsString();
          case RecordContract.FIELD_VERSION -> {
            if (t != JsonToken.VALUE_NUMBER_INT) {
              throw new InvalidRecordException("envelope version is not an integer");
            }
            e.version = p.getLongValue();
          }
          case RecordContract.FIELD_STATE -> {
            int start = (int) p.currentTokenLocation().getByteOffset();
            p.skipChildren();
            int end = (int) p.currentLocation().getByteOffset();
            e.state = Arrays.copyOfRange(value, start, end);
            sawState = true;
          }
          default -> p.skipChildren();
        }
      }
      if (!sawState) {
        throw new InvalidRecordException("envelope has no state field");
      }
      return e;
    } catch (JsonProcessingException ex) {
      throw new InvalidRecordException("value is not valid JSON: " + ex.getOriginalMessage());
    } catch (IOException ex) {
      throw new InvalidRecordException("value cannot be read: " + ex.getMessage());
    }
  }

  /** The top-level status string of the state, or null (also for states that are not JSON). */
  private String status(byte[] state) {
    try (JsonParser p = JSON.createParser(state)) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        return null;
      }
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String name = p.currentName();
        JsonToken t = p.nextToken();
        if (name.equals(statusField)) {
          return t == JsonToken.VALUE_STRING ? p.getText() : null;
        }
        p.skipChildren();
      }
      return null;
    } catch (IOException e) {
      return null;
    }
  }
}
