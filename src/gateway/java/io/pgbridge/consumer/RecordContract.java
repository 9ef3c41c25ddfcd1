package io.pgbridge.consumer;

/**
 * The names a consumer of pgbridge's state topic relies on, and nothing else: the record
 * contract of the README in constants. Key is the session id as UTF-8 text; the value is the
 * {@code envelope} JSON object or the {@code raw} state; a tombstone (null value, header
 * {@code pgbridge.deleted=true}) means the session was deleted. No dependencies, so a team can
 * copy it into its own consumer.
 */
public final class RecordContract {

  public static final String HEADER_PROJECT_ID = "pgbridge.project_id";
  public static final String HEADER_VERSION = "pgbridge.version";
  public static final String HEADER_UPDATED_AT = "pgbridge.updated_at";
  public static final String HEADER_DELETED = "pgbridge.deleted";
  public static final String HEADER_SOURCES = "pgbridge.sources";

  /** Envelope fields ({@code value.format=envelope}). */
  public static final String FIELD_SESSION_ID = "sessionId";
  public static final String FIELD_PROJECT_ID = "projectId";
  public static final String FIELD_VERSION = "version";
  public static final String FIELD_UPDATED_AT = "updatedAt";
  public static final String FIELD_STATE = "state";

  /** Default name of the heartbeat topic: the state topic's name plus this suffix. */
  public static final String HEARTBEAT_TOPIC_SUFFIX = ".heartbeat";

  private RecordContract() {}

  /** The two value formats the bridge writes. */
  public enum ValueFormat {
    ENVELOPE, RAW
  }
}
