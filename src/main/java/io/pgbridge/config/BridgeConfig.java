package io.pgbridge.config;

import io.pgbridge.coalesce.DebounceMode;
import io.pgbridge.source.SourceMode;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Range;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigDef.ValidString;
import org.apache.kafka.common.config.ConfigDef.Width;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.config.types.Password;

/**
 * Every setting pgbridge accepts, declared once in a Kafka {@link ConfigDef} with its type,
 * default, validator and documentation, and the sealed, validated result. Instances are
 * immutable and safe to share between threads; build one with {@link ConfigLoader}, which
 * collects every problem before anything connects. Keys under {@code kafka.} other than the
 * declared ones are passed through to the Kafka producer, and to the admin client when it
 * declares them.
 */
public final class BridgeConfig extends AbstractConfig {

  public static final String KAFKA_PREFIX = "kafka.";

  private static final String DATABASE = "Database";
  private static final String SOURCE = "Change source";
  private static final String KAFKA = "Kafka";
  private static final String PIPELINE = "Pipeline";
  private static final String CHECKPOINT = "Checkpoint and catch-up";
  private static final String ERRORS = "Errors";
  private static final String OPERATIONS = "Operations";

  public static final String DATABASE_URL_CONFIG = "database.url";
  private static final String DATABASE_URL_DOC =
      "JDBC URL of the PostgreSQL database, e.g. jdbc:postgresql://db:5432/app. Used by the"
          + " listener connection and the fetch pool. Put credentials in database.user and"
          + " database.password, not in the URL.";

  public static final String DATABASE_USER_CONFIG = "database.user";
  private static final String DATABASE_USER_DOC = "Database user.";

  public static final String DATABASE_PASSWORD_CONFIG = "database.password";
  private static final String DATABASE_PASSWORD_DOC =
      "Database password. Never logged; prefer the PGBRIDGE_DATABASE_PASSWORD environment"
          + " variable or a mounted secret.";

  public static final String DATABASE_SCHEMA_CONFIG = "database.schema";
  private static final String DATABASE_SCHEMA_DOC =
      "Schema that holds the sessions table and pgbridge's own tables.";

  public static final String DATABASE_POOL_SIZE_CONFIG = "database.pool.size";
  private static final String DATABASE_POOL_SIZE_DOC =
      "Maximum connections of the fetch pool (HikariCP). The listener has its own connection"
          + " outside the pool.";

  public static final String SESSIONS_TABLE_CONFIG = "sessions.table";
  private static final String SESSIONS_TABLE_DOC =
      "Table whose rows are published, one record per row keyed by its id. It must have the"
          + " columns id, project_id, raw_state, state_version, last_txid and updated_at.";

  public static final String SOURCE_MODE_CONFIG = "source.mode";
  private static final String SOURCE_MODE_DOC =
      "Where the bridge learns of changes. notify: row triggers send pg_notify and the bridge"
          + " LISTENs; needs no server settings or privileges, costs writers NOTIFY's commit"
          + " lock. wal: a logical replication slot (pgoutput) reads the publication"
          + " wal.publication.name; needs wal_level=logical and the REPLICATION privilege,"
          + " costs writers little. The database must be migrated for the same mode"
          + " (pgbridge migrate --source-mode ...): a bridge whose mode differs from the one"
          + " recorded by migrate does not start. See \"Choosing a source mode\".";

  public static final String WAL_SLOT_NAME_CONFIG = "wal.slot.name";
  private static final String WAL_SLOT_NAME_DOC =
      "source.mode=wal: the logical replication slot of this bridge deployment, created by the"
          + " bridge. Empty derives it from bridge.id: pgbridge_ + bridge.id in lower case with"
          + " every character outside [a-z0-9_] as _, cut to 40 characters, + _ + the first 8"
          + " hex digits of the SHA-256 of bridge.id, so two bridge ids never derive one slot;"
          + " the slot retains WAL while the bridge is stopped (see max_slot_wal_keep_size).";

  public static final String WAL_PUBLICATION_NAME_CONFIG = "wal.publication.name";
  private static final String WAL_PUBLICATION_NAME_DOC =
      "source.mode=wal: the publication the slot reads, created by pgbridge migrate"
          + " --source-mode wal (the four tables; only ids and the replica identity travel on"
          + " PostgreSQL 15+). A SQL identifier, quoted wherever it enters SQL.";

  public static final String WAL_STATUS_INTERVAL_MS_CONFIG = "wal.status.interval.ms";
  private static final String WAL_STATUS_INTERVAL_MS_DOC =
      "source.mode=wal: how often the bridge reports its confirmed position to the server"
          + " (standby status update). The confirmed position only moves past changes Kafka"
          + " acknowledged, so a shorter interval frees WAL sooner, never earlier.";

  public static final String WAL_SLOT_FAILOVER_CONFIG = "wal.slot.failover";
  private static final String WAL_SLOT_FAILOVER_DOC =
      "source.mode=wal: create the slot as a failover slot (PostgreSQL 17+), which standbys"
          + " with sync_replication_slots=on keep in step so that it survives a promotion. On"
          + " older servers pgbridge check refuses it. Without it a promoted standby has no"
          + " slot: the bridge re-creates it and catches up from its checkpoint (no loss, a"
          + " burst of duplicates).";

  public static final String KAFKA_BOOTSTRAP_SERVERS_CONFIG = "kafka.bootstrap.servers";
  private static final String KAFKA_BOOTSTRAP_SERVERS_DOC =
      "Kafka bootstrap servers, host:port[,host:port]. Any other kafka.* key is passed to the"
          + " producer and admin client with the prefix removed (TLS, SASL, linger.ms, ...).";

  public static final String TOPIC_CONFIG = "topic";
  private static final String TOPIC_DOC =
      "Topic that receives one record per session, keyed by session id. Meant to be compacted.";

  public static final String TOPIC_CREATION_ENABLE_CONFIG = "topic.creation.enable";
  private static final String TOPIC_CREATION_ENABLE_DOC =
      "Create the topic at start if it does not exist (compacted, with topic.partitions and"
          + " topic.replication.factor). When false, a missing topic stops the bridge.";

  public static final String TOPIC_PARTITIONS_CONFIG = "topic.partitions";
  private static final String TOPIC_PARTITIONS_DOC = "Partitions of a topic created by pgbridge.";

  public static final String TOPIC_REPLICATION_FACTOR_CONFIG = "topic.replication.factor";
  private static final String TOPIC_REPLICATION_FACTOR_DOC =
      "Replication factor of a topic created by pgbridge; -1 takes the broker default.";

  public static final String LISTEN_CHANNEL_CONFIG = "listen.channel";
  private static final String LISTEN_CHANNEL_DOC =
      "NOTIFY channel the row triggers signal on. A PostgreSQL identifier (letters, digits,"
          + " underscore, at most 63 bytes); it is quoted wherever it enters SQL.";

  public static final String LISTEN_POLL_TIMEOUT_MS_CONFIG = "listen.poll.timeout.ms";
  private static final String LISTEN_POLL_TIMEOUT_MS_DOC =
      "Longest the change source waits for its stream (notifications, or the replication"
          + " slot in WAL mode) before checking for shutdown and probing the connection.";

  public static final String RECONNECT_BACKOFF_MS_CONFIG = "reconnect.backoff.ms";
  private static final String RECONNECT_BACKOFF_MS_DOC =
      "First delay before reconnecting the change source (the LISTEN or replication"
          + " connection); doubles on each failure, with jitter.";

  public static final String RECONNECT_BACKOFF_MAX_MS_CONFIG = "reconnect.backoff.max.ms";
  private static final String RECONNECT_BACKOFF_MAX_MS_DOC =
      "Cap of the change source's reconnect delay and of the publish retry delay.";

  public static final String DEBOUNCE_MS_CONFIG = "debounce.ms";
  private static final String DEBOUNCE_MS_DOC =
      "Debounce window per session (see debounce.mode): with leading, at most one record per"
          + " session per window, a change outside any window going out at once; with"
          + " trailing, a session is fetched once no change arrived for this long. 0 publishes"
          + " as soon as a worker is free.";

  public static final String DEBOUNCE_MODE_CONFIG = "debounce.mode";
  private static final String DEBOUNCE_MODE_DOC =
      "leading: a change to a session that published no record within the last debounce.ms"
          + " goes out at once; changes made while that window is open merge into one record"
          + " sent when it ends, so a quiet session's change reaches Kafka in milliseconds and a"
          + " hot session still yields at most one record per window. trailing: every change"
          + " waits until its session has been quiet for debounce.ms (at most debounce.max.ms"
          + " after its first unpublished change): fewest records, at least debounce.ms of lag.";

  public static final String DEBOUNCE_MAX_MS_CONFIG = "debounce.max.ms";
  private static final String DEBOUNCE_MAX_MS_DOC =
      "Ceiling of the debounce: a session under constant writes is still published at least"
          + " this often (measured from its first unpublished change). Matters for"
          + " debounce.mode=trailing; a leading window already publishes every debounce.ms.";

  public static final String FETCH_BATCH_SIZE_CONFIG = "fetch.batch.size";
  private static final String FETCH_BATCH_SIZE_DOC =
      "Most sessions read by one query (one round trip with an array parameter).";

  public static final String PIPELINE_THREADS_CONFIG = "pipeline.threads";
  private static final String PIPELINE_THREADS_DOC =
      "Workers that each take due sessions, fetch them in one query and hand them to the"
          + " producer. A session is never in two workers at once.";

  public static final String VALUE_FORMAT_CONFIG = "value.format";
  private static final String VALUE_FORMAT_DOC =
      "envelope: a JSON object {sessionId, projectId, version, updatedAt, state} with raw_state"
          + " embedded as JSON. raw: the raw_state bytes unchanged, metadata in headers only.";

  public static final String PUBLISH_VERSION_CACHE_SIZE_CONFIG = "publish.version.cache.size";
  private static final String PUBLISH_VERSION_CACHE_SIZE_DOC =
      "Sessions whose last published version is remembered to skip unchanged fetches (about"
          + " 100 bytes of heap each). An evicted session may be published once more with the"
          + " same version (harmless).";

  public static final String BRIDGE_ID_CONFIG = "bridge.id";
  private static final String BRIDGE_ID_DOC =
      "Name of this bridge deployment: the key of its checkpoint row and of its leader lock."
          + " Replicas of one deployment share it; independent bridges on one database differ.";

  public static final String CATCHUP_INITIAL_CONFIG = "catchup.initial";
  private static final String CATCHUP_INITIAL_DOC =
      "First start with no stored checkpoint: all publishes every session (walked in keyset"
          + " pages), none publishes only changes made from then on.";

  public static final String CATCHUP_PAGE_SIZE_CONFIG = "catchup.page.size";
  private static final String CATCHUP_PAGE_SIZE_DOC =
      "Session ids read per catch-up page; the next page is read once the backlog drains.";

  public static final String CHECKPOINT_INTERVAL_MS_CONFIG = "checkpoint.interval.ms";
  private static final String CHECKPOINT_INTERVAL_MS_DOC =
      "How often a checkpoint (snapshot + barrier notification) is started. A checkpoint is"
          + " stored only after Kafka acknowledged every change it covers.";

  public static final String HA_ENABLED_CONFIG = "ha.enabled";
  private static final String HA_ENABLED_DOC =
      "Leader election: the bridge publishes only while it holds a PostgreSQL advisory lock"
          + " (derived from bridge.id) on its listener connection; other replicas wait as"
          + " standbys and take over, after a catch-up, when the leader's connection ends.";

  public static final String HA_RETRY_MS_CONFIG = "ha.retry.ms";
  private static final String HA_RETRY_MS_DOC = "How often a standby tries to take the lock.";

  public static final String HA_SETTLE_MS_CONFIG = "ha.takeover.settle.ms";
  private static final String HA_SETTLE_MS_DOC =
      "After taking over from another instance, wait this long and then publish once more,"
          + " without the unchanged-version skip, every session the takeover catch-up"
          + " covered: a record the old leader's producer delivered late cannot stay last on"
          + " the topic. Must be above kafka.delivery.timeout.ms (default 120000), how long"
          + " the old leader's producer may still deliver; 0 disables.";

  public static final String ERRORS_TOLERANCE_CONFIG = "errors.tolerance";
  private static final String ERRORS_TOLERANCE_DOC =
      "A record that cannot be built or sent for good (invalid JSON state, over the size"
          + " limit): none stops the bridge, acknowledging nothing past it; all sends it to"
          + " errors.deadletterqueue.topic.name (if set) and goes on.";

  public static final String ERRORS_DLQ_TOPIC_CONFIG = "errors.deadletterqueue.topic.name";
  private static final String ERRORS_DLQ_TOPIC_DOC =
      "Dead letter topic for errors.tolerance=all; empty drops the record after counting it."
          + " A dead letter is the record as it would have been (key, headers, and the value"
          + " unless it was too large). With topic.creation.enable a missing topic is created"
          + " with cleanup.policy=delete: compacting it would keep only the last failure per"
          + " session.";

  public static final String ERRORS_DLQ_PARTITIONS_CONFIG =
      "errors.deadletterqueue.topic.partitions";
  private static final String ERRORS_DLQ_PARTITIONS_DOC =
      "Partitions of a dead letter topic created by pgbridge.";

  public static final String ERRORS_DLQ_REPLICATION_FACTOR_CONFIG =
      "errors.deadletterqueue.topic.replication.factor";
  private static final String ERRORS_DLQ_REPLICATION_FACTOR_DOC =
      "Replication factor of a dead letter topic created by pgbridge; -1 takes the broker"
          + " default.";

  public static final String ERRORS_DLQ_RETENTION_MS_CONFIG =
      "errors.deadletterqueue.topic.retention.ms";
  private static final String ERRORS_DLQ_RETENTION_MS_DOC =
      "retention.ms of a dead letter topic created by pgbridge (default 7 days); -1 keeps"
          + " dead letters until they are deleted by hand.";

  public static final String ERRORS_DLQ_CONTEXT_HEADERS_CONFIG =
      "errors.deadletterqueue.context.headers.enable";
  private static final String ERRORS_DLQ_CONTEXT_HEADERS_DOC =
      "Add headers saying why each dead letter failed, as Kafka Connect's __connect.errors.*"
          + " under pgbridge's prefix: pgbridge.errors.topic, .bridge.id, .instance, .stage,"
          + " .class.name, .exception.class.name, .exception.message, .exception.stacktrace"
          + " and .value.size.";

  public static final String ERRORS_LOG_ENABLE_CONFIG = "errors.log.enable";
  private static final String ERRORS_LOG_ENABLE_DOC =
      "Log every record that cannot be published, with its session, version, stage and"
          + " error (never its value), at ERROR. When false only errors that stop the bridge"
          + " are logged; tolerated ones are counted in pgbridge_records_deadlettered_total.";

  public static final String HEARTBEAT_INTERVAL_MS_CONFIG = "heartbeat.interval.ms";
  private static final String HEARTBEAT_INTERVAL_MS_DOC =
      "How often the leading instance sends a heartbeat record to heartbeat.topic: the bridge"
          + " id, the time, and up to which database time everything is published (the last"
          + " stored checkpoint) with the state topic's offsets at that point, so consumers can"
          + " tell an idle session from a stalled bridge. 0 turns heartbeats off.";

  public static final String HEARTBEAT_TOPIC_CONFIG = "heartbeat.topic";
  private static final String HEARTBEAT_TOPIC_DOC =
      "Topic of the heartbeat records (never the state topic); empty means <topic>.heartbeat."
          + " Created with topic.creation.enable (one partition, cleanup.policy=compact,delete,"
          + " one hour's retention); otherwise it must exist while heartbeats are on.";

  public static final String HTTP_PORT_CONFIG = "http.port";
  private static final String HTTP_PORT_DOC =
      "Port of /metrics, /healthz, /readyz and /status; 0 picks a free port, -1 disables.";

  public static final String SHUTDOWN_TIMEOUT_MS_CONFIG = "shutdown.timeout.ms";
  private static final String SHUTDOWN_TIMEOUT_MS_DOC =
      "On SIGTERM, how long in-flight and dirty sessions may take to publish before the"
          + " producer is closed. What is left is republished by the next start's catch-up."
          + " The leader lock is released only after the producer is closed, so a standby"
          + " takes over at most this much later.";

  public static final String LOG_FORMAT_CONFIG = "log.format";
  private static final String LOG_FORMAT_DOC =
      "Format of the pgbridge command's log lines on stderr: text (one line per event) or"
          + " json (one JSON object per line, Logback's JsonEncoder: timestamp, level,"
          + " threadName, loggerName, mdc, formattedMessage, throwable). Either way every line"
          + " carries the bridge id, instance and role (MDC bridge, instance, role). The level"
          + " of pgbridge's own loggers is set by the environment variable PGBRIDGE_LOG_LEVEL.";

  private static final ConfigDef CONFIG = buildConfigDef();

  private static ConfigDef buildConfigDef() {
    ConfigDef def = new ConfigDef();
    int o = 0;
    def.define(DATABASE_URL_CONFIG, Type.STRING, ConfigDef.NO_DEFAULT_VALUE,
        new JdbcUrlValidator(), Importance.HIGH, DATABASE_URL_DOC, DATABASE, ++o, Width.LONG,
        "Database URL");
    def.define(DATABASE_USER_CONFIG, Type.STRING, "", Importance.HIGH, DATABASE_USER_DOC,
        DATABASE, ++o, Width.MEDIUM, "Database user");
    def.define(DATABASE_PASSWORD_CONFIG, Type.PASSWORD, "", Importance.HIGH,
        DATABASE_PASSWORD_DOC, DATABASE, ++o, Width.MEDIUM, "Database password");
    def.define(DATABASE_SCHEMA_CONFIG, Type.STRING, "public", Identifiers.validator(),
        Importance.MEDIUM, DATABASE_SCHEMA_DOC, DATABASE, ++o, Width.MEDIUM, "Schema");
    def.define(DATABASE_POOL_SIZE_CONFIG, Type.INT, 4, Range.between(1, 256),
        Importance.LOW, DATABASE_POOL_SIZE_DOC, DATABASE, ++o, Width.SHORT, "Pool size");
    def.define(SESSIONS_TABLE_CONFIG, Type.STRING, "generation_sessions",
        Identifiers.validator(), Importance.MEDIUM, SESSIONS_TABLE_DOC, DATABASE, ++o,
        Width.MEDIUM, "Sessions table");

    o = 0;
    def.define(SOURCE_MODE_CONFIG, Type.STRING, SourceMode.NOTIFY.value(),
        ValidString.in(SourceMode.NOTIFY.value(), SourceMode.WAL.value()), Importance.HIGH,
        SOURCE_MODE_DOC, SOURCE, ++o, Width.SHORT, "Source mode");
    def.define(WAL_SLOT_NAME_CONFIG, Type.STRING, "", new SlotNameValidator(),
        Importance.MEDIUM, WAL_SLOT_NAME_DOC, SOURCE, ++o, Width.MEDIUM, "Slot name");
    def.define(WAL_PUBLICATION_NAME_CONFIG, Type.STRING, "pgbridge", Identifiers.validator(),
        Importance.MEDIUM, WAL_PUBLICATION_NAME_DOC, SOURCE, ++o, Width.MEDIUM, "Publication");
    def.define(WAL_STATUS_INTERVAL_MS_CONFIG, Type.LONG, 1_000L, Range.between(100, 60_000),
        Importance.LOW, WAL_STATUS_INTERVAL_MS_DOC, SOURCE, ++o, Width.SHORT,
        "Status interval");
    def.define(WAL_SLOT_FAILOVER_CONFIG, Type.BOOLEAN, false, Importance.LOW,
        WAL_SLOT_FAILOVER_DOC, SOURCE, ++o, Width.SHORT, "Failover slot");

    o = 0;
    def.define(KAFKA_BOOTSTRAP_SERVERS_CONFIG, Type.LIST, ConfigDef.NO_DEFAULT_VALUE,
        new ConfigDef.NonEmptyString() {
          @Override
          public void ensureValid(String name, Object value) {
            @SuppressWarnings("unchecked")
            List<String> list = (List<String>) value;
            if (list == null || list.isEmpty() || list.stream().anyMatch(String::isBlank)) {
              throw new ConfigException(name, value, "must list at least one host:port");
            }
            for (String hostPort : list) {
              int colon = hostPort.lastIndexOf(':');
              if (colon <= 0 || colon == hostPort.length() - 1) {
                throw new ConfigException(name, value, "'" + hostPort + "' is not host:port");
              }
            }
          }

          @Override
          public String toString() {
            return "host:port[,host:port...]";
          }
        }, Importance.HIGH, KAFKA_BOOTSTRAP_SERVERS_DOC, KAFKA, ++o, Width.LONG,
        "Bootstrap servers");
    def.define(TOPIC_CONFIG, Type.STRING, "generation-state", new TopicNameValidator(false),
        Importance.HIGH, TOPIC_DOC, KAFKA, ++o, Width.MEDIUM, "Topic");
    def.define(TOPIC_CREATION_ENABLE_CONFIG, Type.BOOLEAN, false, Importance.MEDIUM,
        TOPIC_CREATION_ENABLE_DOC, KAFKA, ++o, Width.SHORT, "Create topic");
    def.define(TOPIC_PARTITIONS_CONFIG, Type.INT, 6, Range.between(1, 10_000), Importance.LOW,
        TOPIC_PARTITIONS_DOC, KAFKA, ++o, Width.SHORT, "Partitions");
    def.define(TOPIC_REPLICATION_FACTOR_CONFIG, Type.SHORT, (short) -1,
        new ReplicationFactorValidator(), Importance.LOW, TOPIC_REPLICATION_FACTOR_DOC, KAFKA,
        ++o, Width.SHORT, "Replication factor");

    o = 0;
    def.define(LISTEN_CHANNEL_CONFIG, Type.STRING, "generation_updates", Identifiers.validator(),
        Importance.HIGH, LISTEN_CHANNEL_DOC, PIPELINE, ++o, Width.MEDIUM, "Channel");
    def.define(LISTEN_POLL_TIMEOUT_MS_CONFIG, Type.INT, 500, Range.between(10, 60_000),
        Importance.LOW, LISTEN_POLL_TIMEOUT_MS_DOC, PIPELINE, ++o, Width.SHORT, "Poll timeout");
    def.define(RECONNECT_BACKOFF_MS_CONFIG, Type.LONG, 200L, Range.between(1, 600_000),
        Importance.LOW, RECONNECT_BACKOFF_MS_DOC, PIPELINE, ++o, Width.SHORT, "Backoff");
    def.define(RECONNECT_BACKOFF_MAX_MS_CONFIG, Type.LONG, 10_000L, Range.between(1, 3_600_000),
        Importance.LOW, RECONNECT_BACKOFF_MAX_MS_DOC, PIPELINE, ++o, Width.SHORT, "Max backoff");
    def.define(DEBOUNCE_MS_CONFIG, Type.LONG, 100L, Range.between(0, 600_000), Importance.HIGH,
        DEBOUNCE_MS_DOC, PIPELINE, ++o, Width.SHORT, "Debounce");
    def.define(DEBOUNCE_MODE_CONFIG, Type.STRING, "leading", ValidString.in("leading", "trailing"),
        Importance.HIGH, DEBOUNCE_MODE_DOC, PIPELINE, ++o, Width.SHORT, "Debounce mode");
    def.define(DEBOUNCE_MAX_MS_CONFIG, Type.LONG, 1000L, Range.between(0, 3_600_000),
        Importance.HIGH, DEBOUNCE_MAX_MS_DOC, PIPELINE, ++o, Width.SHORT, "Debounce ceiling");
    def.define(FETCH_BATCH_SIZE_CONFIG, Type.INT, 500, Range.between(1, 50_000),
        Importance.MEDIUM, FETCH_BATCH_SIZE_DOC, PIPELINE, ++o, Width.SHORT, "Fetch batch");
    def.define(PIPELINE_THREADS_CONFIG, Type.INT, 2, Range.between(1, 64), Importance.LOW,
        PIPELINE_THREADS_DOC, PIPELINE, ++o, Width.SHORT, "Workers");
    def.define(VALUE_FORMAT_CONFIG, Type.STRING, "envelope",
        ValidString.in("envelope", "raw"), Importance.HIGH, VALUE_FORMAT_DOC, PIPELINE, ++o,
        Width.SHORT, "Value format");
    def.define(PUBLISH_VERSION_CACHE_SIZE_CONFIG, Type.INT, 250_000,
        Range.between(0, 100_000_000), Importance.LOW, PUBLISH_VERSION_CACHE_SIZE_DOC, PIPELINE,
        ++o, Width.SHORT, "Version cache");

    o = 0;
    def.define(BRIDGE_ID_CONFIG, Type.STRING, "pgbridge", new BridgeIdValidator(),
        Importance.MEDIUM, BRIDGE_ID_DOC, CHECKPOINT, ++o, Width.MEDIUM, "Bridge id");
    def.define(CATCHUP_INITIAL_CONFIG, Type.STRING, "all", ValidString.in("all", "none"),
        Importance.HIGH, CATCHUP_INITIAL_DOC, CHECKPOINT, ++o, Width.SHORT, "Initial catch-up");
    def.define(CATCHUP_PAGE_SIZE_CONFIG, Type.INT, 10_000, Range.between(1, 1_000_000),
        Importance.LOW, CATCHUP_PAGE_SIZE_DOC, CHECKPOINT, ++o, Width.SHORT, "Catch-up page");
    def.define(CHECKPOINT_INTERVAL_MS_CONFIG, Type.LONG, 5_000L, Range.between(10, 3_600_000),
        Importance.MEDIUM, CHECKPOINT_INTERVAL_MS_DOC, CHECKPOINT, ++o, Width.SHORT,
        "Checkpoint interval");
    def.define(HA_ENABLED_CONFIG, Type.BOOLEAN, true, Importance.MEDIUM, HA_ENABLED_DOC,
        CHECKPOINT, ++o, Width.SHORT, "Leader election");
    def.define(HA_RETRY_MS_CONFIG, Type.LONG, 1_000L, Range.between(10, 600_000),
        Importance.LOW, HA_RETRY_MS_DOC, CHECKPOINT, ++o, Width.SHORT, "Standby retry");
    def.define(HA_SETTLE_MS_CONFIG, Type.LONG, 130_000L, Range.between(0, 86_400_000),
        Importance.LOW, HA_SETTLE_MS_DOC, CHECKPOINT, ++o, Width.SHORT, "Takeover settle");

    o = 0;
    def.define(ERRORS_TOLERANCE_CONFIG, Type.STRING, "none", ValidString.in("none", "all"),
        Importance.MEDIUM, ERRORS_TOLERANCE_DOC, ERRORS, ++o, Width.SHORT, "Error tolerance");
    def.define(ERRORS_DLQ_TOPIC_CONFIG, Type.STRING, "", new TopicNameValidator(true),
        Importance.MEDIUM, ERRORS_DLQ_TOPIC_DOC, ERRORS, ++o, Width.MEDIUM, "Dead letter topic");
    def.define(ERRORS_DLQ_PARTITIONS_CONFIG, Type.INT, 1, Range.between(1, 10_000),
        Importance.LOW, ERRORS_DLQ_PARTITIONS_DOC, ERRORS, ++o, Width.SHORT,
        "Dead letter partitions");
    def.define(ERRORS_DLQ_REPLICATION_FACTOR_CONFIG, Type.SHORT, (short) -1,
        new ReplicationFactorValidator(), Importance.LOW, ERRORS_DLQ_REPLICATION_FACTOR_DOC,
        ERRORS, ++o, Width.SHORT, "Dead letter replication factor");
    def.define(ERRORS_DLQ_RETENTION_MS_CONFIG, Type.LONG, 604_800_000L, Range.atLeast(-1),
        Importance.LOW, ERRORS_DLQ_RETENTION_MS_DOC, ERRORS, ++o, Width.SHORT,
        "Dead letter retention");
    def.define(ERRORS_DLQ_CONTEXT_HEADERS_CONFIG, Type.BOOLEAN, false, Importance.MEDIUM,
        ERRORS_DLQ_CONTEXT_HEADERS_DOC, ERRORS, ++o, Width.SHORT, "Dead letter context headers");
    def.define(ERRORS_LOG_ENABLE_CONFIG, Type.BOOLEAN, false, Importance.MEDIUM,
        ERRORS_LOG_ENABLE_DOC, ERRORS, ++o, Width.SHORT, "Log errors");

    o = 0;
    def.define(HEARTBEAT_INTERVAL_MS_CONFIG, Type.LONG, 2_000L, Range.between(0, 3_600_000),
        Importance.MEDIUM, HEARTBEAT_INTERVAL_MS_DOC, OPERATIONS, ++o, Width.SHORT,
        "Heartbeat interval");
    def.define(HEARTBEAT_TOPIC_CONFIG, Type.STRING, "", new TopicNameValidator(true),
        Importance.MEDIUM, HEARTBEAT_TOPIC_DOC, OPERATIONS, ++o, Width.MEDIUM,
        "Heartbeat topic");
    def.define(HTTP_PORT_CONFIG, Type.INT, 8080, Range.between(-1, 65_535), Importance.MEDIUM,
        HTTP_PORT_DOC, OPERATIONS, ++o, Width.SHORT, "HTTP port");
    def.define(SHUTDOWN_TIMEOUT_MS_CONFIG, Type.LONG, 30_000L, Range.between(0, 3_600_000),
        Importance.LOW, SHUTDOWN_TIMEOUT_MS_DOC, OPERATIONS, ++o, Width.SHORT,
        "Shutdown timeout");
    def.define(LOG_FORMAT_CONFIG, Type.STRING, "text", ValidString.in("text", "json"),
        Importance.MEDIUM, LOG_FORMAT_DOC, OPERATIONS, ++o, Width.SHORT, "Log format");
    return def;
  }

  /** The declarations, for documentation and for tools that check keys (the Helm chart test). */
  public static ConfigDef configDef() {
    return CONFIG;
  }

  /** True if {@code key} is declared or is a pass-through {@code kafka.*} key. */
  public static boolean isKnownKey(String key) {
    return CONFIG.names().contains(key) || key.startsWith(KAFKA_PREFIX);
  }

  BridgeConfig(Map<String, ?> originals) {
    super(CONFIG, originals, false);
    String problem = debounceProblem(getLong(DEBOUNCE_MS_CONFIG), getLong(DEBOUNCE_MAX_MS_CONFIG));
    if (problem == null) {
      problem = heartbeatTopicProblem(getString(TOPIC_CONFIG), getString(HEARTBEAT_TOPIC_CONFIG));
    }
    if (problem != null) {
      throw new ConfigException(problem);
    }
  }

  /** Heartbeats never go to the state topic, whose consumers would have to filter them. */
  static String heartbeatTopicProblem(String topic, String heartbeatTopic) {
    return topic.equals(heartbeatTopic)
        ? HEARTBEAT_TOPIC_CONFIG + ": must differ from " + TOPIC_CONFIG + " (" + topic + ")"
        : null;
  }

  /** The rule between keys that ConfigDef cannot express; null when it holds. */
  static String debounceProblem(long debounceMs, long debounceMaxMs) {
    return debounceMaxMs < debounceMs
        ? DEBOUNCE_MAX_MS_CONFIG + ": " + debounceMaxMs + " must be at least " + DEBOUNCE_MS_CONFIG
            + " (" + debounceMs + ")"
        : null;
  }

  /**
   * The settle pass must come after the last record an old leader can still deliver: its
   * producer retries a record handed to it for up to {@code delivery.timeout.ms} after the
   * leader lost the lock. Null when the rule holds or does not apply.
   */
  static String settleProblem(Map<String, Object> parsed, Map<String, String> values) {
    if (!(parsed.get(HA_SETTLE_MS_CONFIG) instanceof Long settle) || settle == 0
        || Boolean.FALSE.equals(parsed.get(HA_ENABLED_CONFIG))) {
      return null;
    }
    long delivery;
    try {
      delivery = Long.parseLong(values.getOrDefault(KAFKA_PREFIX + "delivery.timeout.ms",
          "120000").strip());
    } catch (NumberFormatException e) {
      return null; // reported by the producer's own validation
    }
    return settle > delivery ? null : HA_SETTLE_MS_CONFIG + ": " + settle + " must be above"
        + " kafka.delivery.timeout.ms (" + delivery + "): an old leader's producer may deliver a"
        + " record that long after losing the lock, and the settle pass must come after it";
  }

  public String databaseUrl() {
    return getString(DATABASE_URL_CONFIG);
  }

  public String databaseUser() {
    return getString(DATABASE_USER_CONFIG);
  }

  public Password databasePassword() {
    return getPassword(DATABASE_PASSWORD_CONFIG);
  }

  public String schema() {
    return getString(DATABASE_SCHEMA_CONFIG);
  }

  public int poolSize() {
    return getInt(DATABASE_POOL_SIZE_CONFIG);
  }

  public String sessionsTable() {
    return getString(SESSIONS_TABLE_CONFIG);
  }

  public SourceMode sourceMode() {
    return SourceMode.of(getString(SOURCE_MODE_CONFIG));
  }

  /** The configured slot name, or the one derived from {@code bridge.id} when none is set. */
  public String walSlotName() {
    String name = getString(WAL_SLOT_NAME_CONFIG);
    return name.isEmpty() ? derivedSlotName(bridgeId()) : name;
  }

  public String walPublicationName() {
    return getString(WAL_PUBLICATION_NAME_CONFIG);
  }

  public long walStatusIntervalMs() {
    return getLong(WAL_STATUS_INTERVAL_MS_CONFIG);
  }

  public boolean walSlotFailover() {
    return getBoolean(WAL_SLOT_FAILOVER_CONFIG);
  }

  /**
   * The default slot name of a bridge id: readable (the id's own characters where a slot name
   * allows them) and distinct per id (the hash tells apart ids that read the same, such as
   * {@code a.b} and {@code a-b}). Always a valid slot name of at most 58 characters.
   */
  public static String derivedSlotName(String bridgeId) {
    StringBuilder readable = new StringBuilder();
    for (char c : bridgeId.toLowerCase(Locale.ROOT).toCharArray()) {
      readable.append((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ? c : '_');
    }
    if (readable.length() > 40) {
      readable.setLength(40);
    }
    byte[] digest;
    try {
      digest = MessageDigest.getInstance("SHA-256")
          .digest(bridgeId.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java platform has SHA-256", e);
    }
    return "pgbridge_" + readable + "_" + HexFormat.of().formatHex(digest, 0, 4);
  }

  public String topic() {
    return getString(TOPIC_CONFIG);
  }

  public boolean topicCreationEnabled() {
    return getBoolean(TOPIC_CREATION_ENABLE_CONFIG);
  }

  public int topicPartitions() {
    return getInt(TOPIC_PARTITIONS_CONFIG);
  }

  public short topicReplicationFactor() {
    return getShort(TOPIC_REPLICATION_FACTOR_CONFIG);
  }

  public String channel() {
    return getString(LISTEN_CHANNEL_CONFIG);
  }

  public int listenPollTimeoutMs() {
    return getInt(LISTEN_POLL_TIMEOUT_MS_CONFIG);
  }

  public long reconnectBackoffMs() {
    return getLong(RECONNECT_BACKOFF_MS_CONFIG);
  }

  public long reconnectBackoffMaxMs() {
    return getLong(RECONNECT_BACKOFF_MAX_MS_CONFIG);
  }

  public long debounceMs() {
    return getLong(DEBOUNCE_MS_CONFIG);
  }

  public DebounceMode debounceMode() {
    return DebounceMode.valueOf(getString(DEBOUNCE_MODE_CONFIG).toUpperCase(Locale.ROOT));
  }

  public long debounceMaxMs() {
    return getLong(DEBOUNCE_MAX_MS_CONFIG);
  }

  public int fetchBatchSize() {
    return getInt(FETCH_BATCH_SIZE_CONFIG);
  }

  public int pipelineThreads() {
    return getInt(PIPELINE_THREADS_CONFIG);
  }

  public ValueFormat valueFormat() {
    return ValueFormat.valueOf(getString(VALUE_FORMAT_CONFIG).toUpperCase(Locale.ROOT));
  }

  public int versionCacheSize() {
    return getInt(PUBLISH_VERSION_CACHE_SIZE_CONFIG);
  }

  public String bridgeId() {
    return getString(BRIDGE_ID_CONFIG);
  }

  public boolean catchupInitialAll() {
    return "all".equals(getString(CATCHUP_INITIAL_CONFIG));
  }

  public int catchupPageSize() {
    return getInt(CATCHUP_PAGE_SIZE_CONFIG);
  }

  public long checkpointIntervalMs() {
    return getLong(CHECKPOINT_INTERVAL_MS_CONFIG);
  }

  public boolean haEnabled() {
    return getBoolean(HA_ENABLED_CONFIG);
  }

  public long haRetryMs() {
    return getLong(HA_RETRY_MS_CONFIG);
  }

  public long haSettleMs() {
    return getLong(HA_SETTLE_MS_CONFIG);
  }

  public boolean toleratesAllErrors() {
    return "all".equals(getString(ERRORS_TOLERANCE_CONFIG));
  }

  public String deadLetterTopic() {
    return getString(ERRORS_DLQ_TOPIC_CONFIG);
  }

  public int deadLetterTopicPartitions() {
    return getInt(ERRORS_DLQ_PARTITIONS_CONFIG);
  }

  public short deadLetterTopicReplicationFactor() {
    return getShort(ERRORS_DLQ_REPLICATION_FACTOR_CONFIG);
  }

  public long deadLetterTopicRetentionMs() {
    return getLong(ERRORS_DLQ_RETENTION_MS_CONFIG);
  }

  public boolean deadLetterContextHeaders() {
    return getBoolean(ERRORS_DLQ_CONTEXT_HEADERS_CONFIG);
  }

  public boolean logErrors() {
    return getBoolean(ERRORS_LOG_ENABLE_CONFIG);
  }

  /** The heartbeat interval in ms; 0 when heartbeats are off. */
  public long heartbeatIntervalMs() {
    return getLong(HEARTBEAT_INTERVAL_MS_CONFIG);
  }

  public String heartbeatTopic() {
    String t = getString(HEARTBEAT_TOPIC_CONFIG);
    return t.isEmpty() ? topic() + ".heartbeat" : t;
  }

  public int httpPort() {
    return getInt(HTTP_PORT_CONFIG);
  }

  public long shutdownTimeoutMs() {
    return getLong(SHUTDOWN_TIMEOUT_MS_CONFIG);
  }

  /** True for {@code log.format=json}. */
  public boolean jsonLogs() {
    return "json".equals(getString(LOG_FORMAT_CONFIG));
  }

  /**
   * Kafka client settings: every {@code kafka.*} key with the prefix removed, passwords
   * revealed only here, where they are handed to the client.
   */
  public Map<String, Object> kafkaClientProperties() {
    Map<String, Object> props = new LinkedHashMap<>();
    for (Map.Entry<String, Object> e : originalsWithPrefix(KAFKA_PREFIX).entrySet()) {
      Object v = e.getValue();
      props.put(e.getKey(), v instanceof Password p ? p.value() : v);
    }
    props.put("bootstrap.servers", String.join(",", getList(KAFKA_BOOTSTRAP_SERVERS_CONFIG)));
    return props;
  }

  /**
   * Admin client settings (the topic checks): of {@link #kafkaClientProperties()} only the
   * keys the admin client itself declares ({@link AdminClientConfig#configNames()}), so that
   * producer settings such as {@code linger.ms} or {@code acks} never reach it and it logs no
   * "supplied but not used" warnings.
   */
  public Map<String, Object> adminClientProperties() {
    Map<String, Object> props = kafkaClientProperties();
    props.keySet().retainAll(AdminClientConfig.configNames());
    return props;
  }

  /** Settings as they may be shown: declared keys and kafka.* keys, secrets masked. */
  public Map<String, String> describe() {
    Map<String, String> out = new TreeMap<>();
    for (String name : CONFIG.names()) {
      Object v = get(name);
      // the URL may carry password=... or user:password@ although the docs advise against it
      out.put(name, v instanceof Password ? Password.HIDDEN
          : name.equals(DATABASE_URL_CONFIG) ? Secrets.maskUrl((String) v) : String.valueOf(v));
    }
    for (Map.Entry<String, Object> e : originalsWithPrefix(KAFKA_PREFIX, false).entrySet()) {
      if (!CONFIG.names().contains(e.getKey())) {
        out.put(e.getKey(), Secrets.looksSecret(e.getKey()) ? Password.HIDDEN
            : String.valueOf(e.getValue()));
      }
    }
    return Collections.unmodifiableMap(out);
  }

  /** Names of the declared keys, in declaration order. */
  public static Set<String> names() {
    return CONFIG.names();
  }

  @Override
  public String toString() {
    return "BridgeConfig" + describe();
  }

  /** How the record value is built. */
  public enum ValueFormat { ENVELOPE, RAW }
}
