package io.pgbridge.gateway;

import io.pgbridge.consumer.RecordContract;
import io.pgbridge.consumer.RecordContract.ValueFormat;
import io.pgbridge.consumer.RetentionPolicy;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Range;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigDef.ValidString;
import org.apache.kafka.common.config.ConfigException;

/**
 * Every setting of {@code pgbridge gateway}, declared once in a Kafka {@link ConfigDef} (type,
 * default, validator, documentation), and the sealed, validated result. Immutable and safe to
 * share; build one with {@link GatewayConfigLoader}. Keys under {@code kafka.} other than the
 * declared ones go to the Kafka consumer.
 */
public final class GatewayConfig extends AbstractConfig {

  public static final String KAFKA_PREFIX = "kafka.";

  private static final String SOURCE = "Topic";
  private static final String HTTP = "HTTP";
  private static final String AUTH = "Authentication";
  private static final String LIMITS = "Limits";
  private static final String RETENTION = "Memory";

  public static final String KAFKA_BOOTSTRAP_SERVERS_CONFIG = "kafka.bootstrap.servers";
  private static final String KAFKA_BOOTSTRAP_SERVERS_DOC =
      "Kafka bootstrap servers, host:port[,host:port]. Any other kafka.* key is passed to the"
          + " consumer with the prefix removed (TLS, SASL, ...).";

  public static final String TOPIC_CONFIG = "topic";
  private static final String TOPIC_DOC =
      "State topic written by the bridge; read whole from the earliest offset, then live.";

  public static final String HEARTBEAT_TOPIC_CONFIG = "heartbeat.topic";
  private static final String HEARTBEAT_TOPIC_DOC =
      "Topic of the bridge's heartbeats; empty means <topic>.heartbeat. 'none' ignores"
          + " heartbeats (liveness is then always unknown).";

  public static final String VALUE_FORMAT_CONFIG = "value.format";
  private static final String VALUE_FORMAT_DOC =
      "The bridge's value.format: envelope or raw.";

  public static final String HTTP_HOST_CONFIG = "http.host";
  private static final String HTTP_HOST_DOC = "Address to listen on; empty listens on all.";

  public static final String HTTP_PORT_CONFIG = "http.port";
  private static final String HTTP_PORT_DOC =
      "Port of the page, the WebSocket and SSE endpoint (/stream), /sessions/{id}, /metrics,"
          + " /healthz and /readyz. 0 picks a free port.";

  public static final String ALLOWED_ORIGINS_CONFIG = "allowed.origins";
  private static final String ALLOWED_ORIGINS_DOC =
      "Origins (scheme://host[:port]) whose pages may connect; a request from the gateway's own"
          + " origin or without an Origin header (not a browser) is always allowed; * allows"
          + " any origin.";

  public static final String AUTH_MODE_CONFIG = "auth.mode";
  private static final String AUTH_MODE_DOC =
      "jwt: a bearer token (Authorization header, or access_token query parameter for"
          + " browsers' WebSocket and EventSource) verified against auth.jwt.key.file. none:"
          + " anyone may watch every project (only for demos and closed networks). custom: the"
          + " Authenticator class named by auth.custom.class.";

  public static final String AUTH_JWT_KEY_FILE_CONFIG = "auth.jwt.key.file";
  private static final String AUTH_JWT_KEY_FILE_DOC =
      "File with the token verification key(s): a PEM public key (RSA or EC), a JWK or a JWK"
          + " set (JSON). Read again when it changes (key rotation without restart).";

  public static final String AUTH_JWT_KEY_RELOAD_MS_CONFIG = "auth.jwt.key.reload.ms";
  private static final String AUTH_JWT_KEY_RELOAD_MS_DOC =
      "How often the key file is checked for changes.";

  public static final String AUTH_JWT_ISSUER_CONFIG = "auth.jwt.issuer";
  private static final String AUTH_JWT_ISSUER_DOC =
      "Required iss claim; empty accepts any issuer.";

  public static final String AUTH_JWT_AUDIENCE_CONFIG = "auth.jwt.audience";
  private static final String AUTH_JWT_AUDIENCE_DOC =
      "Required aud claim value; empty accepts any audience.";

  public static final String AUTH_JWT_PROJECTS_CLAIM_CONFIG = "auth.jwt.projects.claim";
  private static final String AUTH_JWT_PROJECTS_CLAIM_DOC =
      "Claim listing the project ids the token may watch (a list of strings, or one string);"
          + " the value * allows every project.";

  public static final String AUTH_JWT_CLOCK_SKEW_MS_CONFIG = "auth.jwt.clock.skew.ms";
  private static final String AUTH_JWT_CLOCK_SKEW_MS_DOC =
      "Tolerated clock difference when checking exp and nbf.";

  public static final String AUTH_CUSTOM_CLASS_CONFIG = "auth.custom.class";
  private static final String AUTH_CUSTOM_CLASS_DOC =
      "With auth.mode=custom: a class implementing io.pgbridge.gateway.auth.Authenticator with a"
          + " public constructor taking the GatewayConfig.";

  public static final String MAX_SUBSCRIPTIONS_CONFIG = "max.subscriptions.per.connection";
  private static final String MAX_SUBSCRIPTIONS_DOC =
      "Most projects plus sessions one connection may subscribe to; more is refused.";

  public static final String MAX_MESSAGE_BYTES_CONFIG = "max.message.bytes";
  private static final String MAX_MESSAGE_BYTES_DOC =
      "Largest message a client may send; a larger one closes its connection (1009).";

  public static final String MAX_CONNECTIONS_CONFIG = "max.connections";
  private static final String MAX_CONNECTIONS_DOC =
      "Most WebSocket and SSE clients at once; more are refused with 503.";

  public static final String CLIENT_QUEUE_MAX_CONFIG = "client.queue.max.sessions";
  private static final String CLIENT_QUEUE_MAX_DOC =
      "Most distinct sessions waiting to be sent to one client. The queue keeps only the newest"
          + " state per session (a slow client skips intermediate versions); a client further"
          + " behind than this is disconnected (1013) and resumes on reconnect.";

  public static final String CLIENT_HEARTBEAT_MS_CONFIG = "client.heartbeat.interval.ms";
  private static final String CLIENT_HEARTBEAT_MS_DOC =
      "How often each client gets a heartbeat message (liveness of the bridge, the position to"
          + " resume from). A client that hears nothing for 3 intervals should treat the"
          + " connection as stale.";

  public static final String IDLE_TIMEOUT_MS_CONFIG = "idle.timeout.ms";
  private static final String IDLE_TIMEOUT_MS_DOC =
      "A connection with no traffic at all for this long is closed.";

  public static final String RETENTION_STATUS_FIELD_CONFIG = "retention.status.field";
  private static final String RETENTION_STATUS_FIELD_DOC =
      "Top-level field of the state JSON that holds the session's status.";

  public static final String RETENTION_FINISHED_STATUSES_CONFIG = "retention.finished.statuses";
  private static final String RETENTION_FINISHED_STATUSES_DOC =
      "Statuses of finished sessions, dropped from memory retention.finished.ms after their last"
          + " change.";

  public static final String RETENTION_FINISHED_MS_CONFIG = "retention.finished.ms";
  private static final String RETENTION_FINISHED_MS_DOC =
      "How long a finished session stays in memory after its last change; 0 keeps it.";

  public static final String RETENTION_MAX_SESSIONS_CONFIG = "retention.max.sessions";
  private static final String RETENTION_MAX_SESSIONS_DOC =
      "Most sessions held in memory; beyond it the oldest finished (else any) are dropped,"
          + " counted in pgbridge_gateway_evicted_total.";

  public static final String RETENTION_DELETED_MS_CONFIG = "retention.deleted.ms";
  private static final String RETENTION_DELETED_MS_DOC =
      "How long a deletion is remembered: GET /sessions/{id} answers 410 meanwhile (404 after),"
          + " and a client resuming from an older position is told about it.";

  public static final String RETENTION_MAX_DELETED_CONFIG = "retention.max.deleted";
  private static final String RETENTION_MAX_DELETED_DOC = "Most deletions remembered at once.";

  private static final ConfigDef CONFIG = buildConfigDef();

  private static ConfigDef buildConfigDef() {
    ConfigDef def = new ConfigDef();
    int o = 0;
    def.define(KAFKA_BOOTSTRAP_SERVERS_CONFIG, Type.LIST, ConfigDef.NO_DEFAULT_VALUE,
        new ConfigDef.NonEmptyString() {
          @Override
          public void ensureValid(String name, Object value) {
            if (value instanceof List<?> l && !l.isEmpty()) {
              return;
            }
            throw new ConfigException(name, value, "at least one host:port is required");
          }

          @Override
          public String toString() {
            return "host:port[,host:port]";
          }
        }, Importance.HIGH, KAFKA_BOOTSTRAP_SERVERS_DOC, SOURCE, ++o, ConfigDef.Width.LONG,
        KAFKA_BOOTSTRAP_SERVERS_CONFIG);
    def.define(TOPIC_CONFIG, Type.STRING, "generation-state", new ConfigDef.NonEmptyString(),
        Importance.HIGH, TOPIC_DOC, SOURCE, ++o, ConfigDef.Width.MEDIUM, TOPIC_CONFIG);
    def.define(HEARTBEAT_TOPIC_CONFIG, Type.STRING, "", Importance.MEDIUM, HEARTBEAT_TOPIC_DOC,
        SOURCE, ++o, ConfigDef.Width.MEDIUM, HEARTBEAT_TOPIC_CONFIG);
    def.define(VALUE_FORMAT_CONFIG, Type.STRING, "envelope", ValidString.in("envelope", "raw"),
        Importance.MEDIUM, VALUE_FORMAT_DOC, SOURCE, ++o, ConfigDef.Width.SHORT,
        VALUE_FORMAT_CONFIG);
    o = 0;
    def.define(HTTP_HOST_CONFIG, Type.STRING, "", Importance.LOW, HTTP_HOST_DOC, HTTP, ++o,
        ConfigDef.Width.MEDIUM, HTTP_HOST_CONFIG);
    def.define(HTTP_PORT_CONFIG, Type.INT, 8080, Range.between(0, 65_535), Importance.MEDIUM,
        HTTP_PORT_DOC, HTTP, ++o, ConfigDef.Width.SHORT, HTTP_PORT_CONFIG);
    def.define(ALLOWED_ORIGINS_CONFIG, Type.LIST, "", Importance.HIGH, ALLOWED_ORIGINS_DOC,
        HTTP, ++o, ConfigDef.Width.LONG, ALLOWED_ORIGINS_CONFIG);
    def.define(CLIENT_HEARTBEAT_MS_CONFIG, Type.LONG, 2_000L, Range.between(100, 600_000),
        Importance.MEDIUM, CLIENT_HEARTBEAT_MS_DOC, HTTP, ++o, ConfigDef.Width.SHORT,
        CLIENT_HEARTBEAT_MS_CONFIG);
    def.define(IDLE_TIMEOUT_MS_CONFIG, Type.LONG, 60_000L, Range.between(1_000, 3_600_000),
        Importance.LOW, IDLE_TIMEOUT_MS_DOC, HTTP, ++o, ConfigDef.Width.SHORT,
        IDLE_TIMEOUT_MS_CONFIG);
    o = 0;
    def.define(AUTH_MODE_CONFIG, Type.STRING, "jwt", ValidString.in("jwt", "none", "custom"),
        Importance.HIGH, AUTH_MODE_DOC, AUTH, ++o, ConfigDef.Width.SHORT, AUTH_MODE_CONFIG);
    def.define(AUTH_JWT_KEY_FILE_CONFIG, Type.STRING, "", Importance.HIGH, AUTH_JWT_KEY_FILE_DOC,
        AUTH, ++o, ConfigDef.Width.LONG, AUTH_JWT_KEY_FILE_CONFIG);
    def.define(AUTH_JWT_KEY_RELOAD_MS_CONFIG, Type.LONG, 10_000L, Range.between(100, 86_400_000),
        Importance.LOW, AUTH_JWT_KEY_RELOAD_MS_DOC, AUTH, ++o, ConfigDef.Width.SHORT,
        AUTH_JWT_KEY_RELOAD_MS_CONFIG);
    def.define(AUTH_JWT_ISSUER_CONFIG, Type.STRING, "", Importance.MEDIUM, AUTH_JWT_ISSUER_DOC,
        AUTH, ++o, ConfigDef.Width.MEDIUM, AUTH_JWT_ISSUER_CONFIG);
    def.define(AUTH_JWT_AUDIENCE_CONFIG, Type.STRING, "", Importance.MEDIUM,
        AUTH_JWT_AUDIENCE_DOC, AUTH, ++o, ConfigDef.Width.MEDIUM, AUTH_JWT_AUDIENCE_CONFIG);
    def.define(AUTH_JWT_PROJECTS_CLAIM_CONFIG, Type.STRING, "projects",
        new ConfigDef.NonEmptyString(), Importance.MEDIUM, AUTH_JWT_PROJECTS_CLAIM_DOC, AUTH, ++o,
        ConfigDef.Width.SHORT, AUTH_JWT_PROJECTS_CLAIM_CONFIG);
    def.define(AUTH_JWT_CLOCK_SKEW_MS_CONFIG, Type.LONG, 30_000L, Range.between(0, 600_000),
        Importance.LOW, AUTH_JWT_CLOCK_SKEW_MS_DOC, AUTH, ++o, ConfigDef.Width.SHORT,
        AUTH_JWT_CLOCK_SKEW_MS_CONFIG);
    def.define(AUTH_CUSTOM_CLASS_CONFIG, Type.STRING, "", Importance.LOW, AUTH_CUSTOM_CLASS_DOC,
        AUTH, ++o, ConfigDef.Width.LONG, AUTH_CUSTOM_CLASS_CONFIG);
    o = 0;
    def.define(MAX_SUBSCRIPTIONS_CONFIG, Type.INT, 100, Range.between(1, 100_000),
        Importance.MEDIUM, MAX_SUBSCRIPTIONS_DOC, LIMITS, ++o, ConfigDef.Width.SHORT,
        MAX_SUBSCRIPTIONS_CONFIG);
    def.define(MAX_MESSAGE_BYTES_CONFIG, Type.INT, 65_536, Range.between(256, 16_777_216),
        Importance.MEDIUM, MAX_MESSAGE_BYTES_DOC, LIMITS, ++o, ConfigDef.Width.SHORT,
        MAX_MESSAGE_BYTES_CONFIG);
    def.define(MAX_CONNECTIONS_CONFIG, Type.INT, 50_000, Range.between(1, 1_000_000),
        Importance.MEDIUM, MAX_CONNECTIONS_DOC, LIMITS, ++o, ConfigDef.Width.SHORT,
        MAX_CONNECTIONS_CONFIG);
    def.define(CLIENT_QUEUE_MAX_CONFIG, Type.INT, 10_000, Range.between(16, 10_000_000),
        Importance.LOW, CLIENT_QUEUE_MAX_DOC, LIMITS, ++o, ConfigDef.Width.SHORT,
        CLIENT_QUEUE_MAX_CONFIG);
    o = 0;
    def.define(RETENTION_STATUS_FIELD_CONFIG, Type.STRING, "status",
        new ConfigDef.NonEmptyString(), Importance.LOW, RETENTION_STATUS_FIELD_DOC, RETENTION,
        ++o, ConfigDef.Width.SHORT, RETENTION_STATUS_FIELD_CONFIG);
    def.define(RETENTION_FINISHED_STATUSES_CONFIG, Type.LIST, "completed,failed,cancelled",
        Importance.LOW, RETENTION_FINISHED_STATUSES_DOC, RETENTION, ++o, ConfigDef.Width.MEDIUM,
        RETENTION_FINISHED_STATUSES_CONFIG);
    def.define(RETENTION_FINISHED_MS_CONFIG, Type.LONG, 86_400_000L,
        Range.between(0, 365L * 86_400_000L), Importance.MEDIUM, RETENTION_FINISHED_MS_DOC,
        RETENTION, ++o, ConfigDef.Width.SHORT, RETENTION_FINISHED_MS_CONFIG);
    def.define(RETENTION_MAX_SESSIONS_CONFIG, Type.INT, 2_000_000, Range.between(1, 100_000_000),
        Importance.MEDIUM, RETENTION_MAX_SESSIONS_DOC, RETENTION, ++o, ConfigDef.Width.SHORT,
        RETENTION_MAX_SESSIONS_CONFIG);
    def.define(RETENTION_DELETED_MS_CONFIG, Type.LONG, 3_600_000L,
        Range.between(0, 365L * 86_400_000L), Importance.LOW, RETENTION_DELETED_MS_DOC, RETENTION,
        ++o, ConfigDef.Width.SHORT, RETENTION_DELETED_MS_CONFIG);
    def.define(RETENTION_MAX_DELETED_CONFIG, Type.INT, 100_000, Range.between(0, 10_000_000),
        Importance.LOW, RETENTION_MAX_DELETED_DOC, RETENTION, ++o, ConfigDef.Width.SHORT,
        RETENTION_MAX_DELETED_CONFIG);
    return def;
  }

  public static ConfigDef configDef() {
    return CONFIG;
  }

  public static boolean isKnownKey(String key) {
    return CONFIG.names().contains(key) || key.startsWith(KAFKA_PREFIX);
  }

  GatewayConfig(Map<String, String> values) {
    super(CONFIG, values, false);
  }

  /** The kafka.* settings for the consumer, prefix removed. */
  public Map<String, Object> kafkaClientProperties() {
    Map<String, Object> out = new TreeMap<>();
    for (Map.Entry<String, ?> e : originals().entrySet()) {
      if (e.getKey().startsWith(KAFKA_PREFIX)) {
        out.put(e.getKey().substring(KAFKA_PREFIX.length()), String.valueOf(e.getValue()));
      }
    }
    out.put("bootstrap.servers", String.join(",", getList(KAFKA_BOOTSTRAP_SERVERS_CONFIG)));
    return out;
  }

  public String topic() {
    return getString(TOPIC_CONFIG);
  }

  /** The heartbeat topic, or null when heartbeats are ignored. */
  public String heartbeatTopic() {
    String t = getString(HEARTBEAT_TOPIC_CONFIG).trim();
    if (t.equals("none")) {
      return null;
    }
    return t.isEmpty() ? topic() + RecordContract.HEARTBEAT_TOPIC_SUFFIX : t;
  }

  public ValueFormat valueFormat() {
    return ValueFormat.valueOf(getString(VALUE_FORMAT_CONFIG).toUpperCase(Locale.ROOT));
  }

  public String httpHost() {
    return getString(HTTP_HOST_CONFIG);
  }

  public int httpPort() {
    return getInt(HTTP_PORT_CONFIG);
  }

  public Set<String> allowedOrigins() {
    Set<String> out = new HashSet<>();
    for (String o : getList(ALLOWED_ORIGINS_CONFIG)) {
      if (!o.isBlank()) {
        out.add(o.trim().toLowerCase(Locale.ROOT));
      }
    }
    return Set.copyOf(out);
  }

  public String authMode() {
    return getString(AUTH_MODE_CONFIG);
  }

  public String jwtKeyFile() {
    return getString(AUTH_JWT_KEY_FILE_CONFIG);
  }

  public long jwtKeyReloadMs() {
    return getLong(AUTH_JWT_KEY_RELOAD_MS_CONFIG);
  }

  public String jwtIssuer() {
    return getString(AUTH_JWT_ISSUER_CONFIG);
  }

  public String jwtAudience() {
    return getString(AUTH_JWT_AUDIENCE_CONFIG);
  }

  public String jwtProjectsClaim() {
    return getString(AUTH_JWT_PROJECTS_CLAIM_CONFIG);
  }

  public long jwtClockSkewMs() {
    return getLong(AUTH_JWT_CLOCK_SKEW_MS_CONFIG);
  }

  public String customAuthenticatorClass() {
    return getString(AUTH_CUSTOM_CLASS_CONFIG);
  }

  public int maxSubscriptions() {
    return getInt(MAX_SUBSCRIPTIONS_CONFIG);
  }

  public int maxMessageBytes() {
    return getInt(MAX_MESSAGE_BYTES_CONFIG);
  }

  public int maxConnections() {
    return getInt(MAX_CONNECTIONS_CONFIG);
  }

  public int clientQueueMax() {
    return getInt(CLIENT_QUEUE_MAX_CONFIG);
  }

  public long clientHeartbeatMs() {
    return getLong(CLIENT_HEARTBEAT_MS_CONFIG);
  }

  public long idleTimeoutMs() {
    return getLong(IDLE_TIMEOUT_MS_CONFIG);
  }

  public RetentionPolicy retention() {
    return new RetentionPolicy(getString(RETENTION_STATUS_FIELD_CONFIG),
        Set.copyOf(getList(RETENTION_FINISHED_STATUSES_CONFIG)),
        getLong(RETENTION_FINISHED_MS_CONFIG), getInt(RETENTION_MAX_SESSIONS_CONFIG),
        getLong(RETENTION_DELETED_MS_CONFIG), getInt(RETENTION_MAX_DELETED_CONFIG));
  }
}
