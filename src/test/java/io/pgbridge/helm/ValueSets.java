package io.pgbridge.helm;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The value sets the chart is rendered with, each as a user would write values.yaml. */
enum ValueSets {

  /** The least a default install needs: the Secret with the database password. */
  DEFAULTS(Map.of("database", Map.of("passwordSecret", Map.of("name", "pg-credentials")))),

  /** Trust or certificate authentication: no password Secret, said explicitly. */
  PASSWORDLESS(Map.of(
      "database", Map.of("passwordless", true),
      "config", configOf("database.url",
          "jdbc:postgresql://db:5432/app?sslmode=verify-full&sslcert=/etc/pg-tls/tls.crt"
              + "&sslkey=/etc/pg-tls/tls.pk8"))),

  /** A managed database's Secret (CloudNativePG publishes username, password, jdbc-uri). */
  MANAGED_DATABASE(Map.of("database", Map.of(
      "passwordSecret", Map.of("name", "gen-pg-app", "key", "password"),
      "userSecret", Map.of("name", "gen-pg-app", "key", "username"),
      "urlSecret", Map.of("name", "gen-pg-app", "key", "jdbc-uri")))),

  /** OAuth client credentials and a PEM client certificate, all from Secrets. */
  KAFKA_SECRET_SETTINGS(Map.of(
      "database", Map.of("passwordSecret", Map.of("name", "pg-credentials")),
      "config", configOf(
          "kafka.security.protocol", "SASL_SSL",
          "kafka.sasl.mechanism", "OAUTHBEARER",
          "kafka.ssl.keystore.type", "PEM"),
      "kafka", Map.of("secretSettings", Map.of(
          "sasl.oauthbearer.client.credentials.client.secret",
          Map.of("name", "kafka-oauth", "key", "client-secret"),
          "ssl.keystore.key", Map.of("name", "kafka-pem", "key", "tls.key"),
          "ssl.keystore.certificate.chain", Map.of("name", "kafka-pem", "key", "tls.crt"))))),

  MONITORING(Map.of(
      "database", Map.of("passwordSecret", Map.of("name", "pg-credentials")),
      "serviceMonitor", Map.of("enabled", true, "labels", Map.of("release", "prometheus")),
      "prometheusRule", Map.of("enabled", true, "lagP99ThresholdSeconds", 2.5),
      "dashboard", Map.of("enabled", true, "namespace", "monitoring"))),

  SECURED_KAFKA(Map.of(
      "database", Map.of("passwordSecret", Map.of("name", "pg-credentials", "key", "pw")),
      "config", Map.of(
          "kafka.security.protocol", "SASL_SSL",
          "kafka.sasl.mechanism", "SCRAM-SHA-512",
          "kafka.bootstrap.servers", List.of("kafka-0.kafka:9093", "kafka-1.kafka:9093")),
      "kafka", Map.of(
          "sasl", Map.of("jaasConfigSecret", Map.of("name", "kafka-user", "key", "sasl.jaas.config")),
          "tls", Map.of(
              "secretName", "kafka-tls",
              "mountPath", "/etc/pgbridge/kafka-tls",
              "truststore", Map.of("key", "ca.p12", "type", "PKCS12", "passwordKey", "ca.password"),
              "keystore", Map.of("key", "user.p12", "type", "PKCS12",
                  "passwordKey", "user.password", "keyPasswordKey", "user.password"))))),

  SCALED_CUSTOM(Map.of(
      "database", Map.of("passwordSecret", Map.of("name", "pg-credentials")),
      "replicaCount", 3,
      "terminationGracePeriodSeconds", 75,
      "config", configOf(
          "database.url", "jdbc:postgresql://pg.prod:5432/platform?sslmode=verify-full",
          "bridge.id", "generation-state-eu",
          "debounce.ms", 250,
          "debounce.max.ms", 5000,
          "value.format", "raw",
          "catchup.initial", "none",
          "http.port", 9090,
          "shutdown.timeout.ms", 60000,
          "publish.version.cache.size", 2000000,
          "kafka.linger.ms", 5,
          "kafka.compression.type", "zstd",
          "kafka.client.id", "pgbridge\\eu"),
      "service", Map.of("port", 80))),

  /** A PostgreSQL CA and a logging configuration mounted, more environment. */
  EXTRAS(Map.of(
      "database", Map.of("passwordSecret", Map.of("name", "pg-credentials")),
      "migrations", Map.of("enabled", true),
      "config", configOf("database.url",
          "jdbc:postgresql://db:5432/app?sslmode=verify-full&sslrootcert=/etc/pgbridge/pg-ca/ca.crt"),
      "extraVolumes", List.of(
          Map.of("name", "pg-ca", "secret", Map.of("secretName", "pg-ca")),
          Map.of("name", "logging", "configMap", Map.of("name", "pgbridge-logback"))),
      "extraVolumeMounts", List.of(
          Map.of("name", "pg-ca", "mountPath", "/etc/pgbridge/pg-ca", "readOnly", true),
          Map.of("name", "logging", "mountPath", "/etc/pgbridge/logback", "readOnly", true)),
      "extraEnv", List.of(Map.of("name", "PGBRIDGE_DEBOUNCE_MS", "value", "50")),
      "extraEnvFrom", List.of(Map.of("configMapRef", Map.of("name", "pgbridge-env"))))),

  /** Ingress to the http port from the monitoring namespace; egress to DNS, database, Kafka. */
  NETWORK_POLICY(Map.of(
      "database", Map.of("passwordSecret", Map.of("name", "pg-credentials")),
      "migrations", Map.of("enabled", true),
      "networkPolicy", Map.of(
          "enabled", true,
          "ingressFrom", List.of(Map.of("namespaceSelector",
              Map.of("matchLabels", Map.of("kubernetes.io/metadata.name", "monitoring")))),
          "egress", Map.of("restrict", true, "rules", List.of(
              Map.of("to", List.of(Map.of("ipBlock", Map.of("cidr", "10.20.0.0/16"))),
                  "ports", List.of(Map.of("port", 5432, "protocol", "TCP"),
                      Map.of("port", 9093, "protocol", "TCP")))))))),

  /** Pods scraped directly (PodMonitor instead of ServiceMonitor), with the alerts. */
  POD_MONITOR(Map.of(
      "database", Map.of("passwordSecret", Map.of("name", "pg-credentials")),
      "migrations", Map.of("enabled", true),
      "podMonitor", Map.of("enabled", true, "labels", Map.of("release", "prometheus")),
      "prometheusRule", Map.of("enabled", true))),

  /** A bridge reading the WAL, with its migration Job and the alerts at chosen thresholds. */
  WAL_SOURCE(Map.of(
      "database", Map.of("passwordSecret", Map.of("name", "pg-credentials")),
      "migrations", Map.of("enabled", true),
      "config", configOf(
          "source.mode", "wal",
          "wal.slot.name", "pgbridge_generation_eu",
          "wal.publication.name", "pgbridge_generation",
          "wal.status.interval.ms", 500,
          "wal.slot.failover", true),
      "serviceMonitor", Map.of("enabled", true),
      "prometheusRule", Map.of("enabled", true,
          "walSlotLagBytesThreshold", 268_435_456,
          "walSlotLagFor", "3m",
          "walRetainedBytesThreshold", 21_474_836_480L,
          "walRetainedFor", "15m",
          "walConfirmedLsnAgeThresholdSeconds", 45,
          "walConfirmedLsnAgeFor", "2m",
          "walSlotRecreatedWindow", "6h",
          "walSlotRecreatedFor", "30s"),
      "dashboard", Map.of("enabled", true))),

  MIGRATIONS(Map.of(
      "migrations", Map.of("enabled", true),
      "database", Map.of("passwordSecret", Map.of("name", "pg-credentials", "key", "password"))));

  final Map<String, Object> values;

  ValueSets(Map<String, Object> values) {
    this.values = values;
  }

  /** {@link #DEFAULTS} with {@code overrides} merged in (maps merged key by key). */
  static Map<String, Object> defaultsWith(Map<String, ?> overrides) {
    return merge(DEFAULTS.values, overrides);
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> merge(Map<String, ?> base, Map<String, ?> overrides) {
    Map<String, Object> out = new LinkedHashMap<>(base);
    overrides.forEach((k, v) -> out.merge(k, v, (a, b) -> a instanceof Map && b instanceof Map
        ? merge((Map<String, ?>) a, (Map<String, ?>) b) : b));
    return out;
  }

  private static Map<String, Object> configOf(Object... kv) {
    Map<String, Object> m = new LinkedHashMap<>();
    for (int i = 0; i < kv.length; i += 2) {
      m.put((String) kv[i], kv[i + 1]);
    }
    return m;
  }
}
