package io.pgbridge.testing;

import io.pgbridge.embedded.EmbeddedKafkaCluster;
import io.pgbridge.embedded.EmbeddedPostgresServer;
import io.pgbridge.embedded.SingleNodeKafkaSettings;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Pattern;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.utils.AppInfoParser;
import org.apache.kafka.common.utils.Exit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.PostgreSQLContainer;
import org.testcontainers.kafka.KafkaContainer;
import org.testcontainers.utility.DockerImageName;

/**
 * The real PostgreSQL server and Kafka broker that integration tests talk to, shared by every
 * test class in one JVM. Each is found on first use, in the order DESIGN.md gives: an address in
 * an environment variable ({@value #DATABASE_URL_ENV} with {@value #DATABASE_USER_ENV} and
 * {@value #DATABASE_PASSWORD_ENV}; {@value #KAFKA_BOOTSTRAP_ENV}); a Testcontainers container when
 * a Docker engine answers; otherwise {@link EmbeddedPostgresServer} and
 * {@link EmbeddedKafkaCluster}. What this class started is stopped by a JVM shutdown hook. Any
 * test thread may call it; the first caller waits for the start, later ones share the result
 * (or the same failure, so a broken environment is not retried by every test).
 */
public final class TestInfra {

    static final String DATABASE_URL_ENV = "PGBRIDGE_TEST_DATABASE_URL";
    static final String DATABASE_USER_ENV = "PGBRIDGE_TEST_DATABASE_USER";
    static final String DATABASE_PASSWORD_ENV = "PGBRIDGE_TEST_DATABASE_PASSWORD";
    static final String KAFKA_BOOTSTRAP_ENV = "PGBRIDGE_TEST_KAFKA_BOOTSTRAP";

    private static final Logger LOG = LoggerFactory.getLogger(TestInfra.class);
    private static final Pattern DATABASE_NAME = Pattern.compile("[a-z_][a-z0-9_]{0,62}");
    private static final long ADMIN_TIMEOUT_SECONDS = 60;

    private static final Lazy<Boolean> DOCKER = new Lazy<>("Docker probe", TestInfra::probeDocker);
    private static final Lazy<Postgres> POSTGRES = new Lazy<>("PostgreSQL", TestInfra::findPostgres);
    private static final Lazy<KafkaEndpoint> KAFKA = new Lazy<>("Kafka", TestInfra::findKafka);

    private TestInfra() {
    }

    /** Connection details of a PostgreSQL database; {@code toString} hides the password. */
    public record Postgres(String jdbcUrl, String user, String password) {

        public Connection connect() throws SQLException {
            return DriverManager.getConnection(jdbcUrl, user, password);
        }

        @Override
        public String toString() {
            return "Postgres[" + withoutQuery(jdbcUrl) + ", user=" + user + "]";
        }
    }

    /** The shared server's {@code postgres} (or configured) database; starts the server on first call. */
    public static Postgres postgres() {
        return POSTGRES.get();
    }

    /** Bootstrap servers of the shared broker; starts the broker on first call. */
    public static String kafkaBootstrap() {
        return KAFKA.get().bootstrapServers();
    }

    /**
     * Drops (if present) and creates database {@code name} on the shared server, so that a test
     * class starts from an empty schema, and returns its JDBC URL; same user and password as
     * {@link #postgres()}.
     */
    public static String createDatabase(String name) {
        return createDatabase(postgres(), name);
    }

    /**
     * {@link #createDatabase(String)} on another server, such as a dedicated
     * {@link EmbeddedPostgresServer} that a fault test restarts without disturbing other test classes.
     */
    public static String createDatabase(Postgres server, String name) {
        if (!DATABASE_NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("database name must match " + DATABASE_NAME + ": " + name);
        }
        try (Connection connection = server.connect(); Statement statement = connection.createStatement()) {
            statement.execute("DROP DATABASE IF EXISTS \"" + name + "\" WITH (FORCE)");
            // template0: nobody connects to it, so concurrent creations do not collide
            statement.execute("CREATE DATABASE \"" + name + "\" TEMPLATE template0");
        } catch (SQLException e) {
            throw new IllegalStateException("could not create database " + name, e);
        }
        LOG.info("Created test database {}", name);
        return jdbcUrlFor(server.jdbcUrl(), name);
    }

    /** Creates a compacted topic named {@code prefix-<random>} with the given partitions and returns its name. */
    public static String newTopic(String prefix, int partitions) {
        String name = prefix + "-" + UUID.randomUUID().toString().substring(0, 13);
        KAFKA.get().createTopic(name, partitions, Map.of("cleanup.policy", "compact"));
        return name;
    }

    /**
     * Creates a compacted topic named {@code prefix-<random>} on another broker, such as a
     * {@link io.pgbridge.embedded.KafkaBrokerProcess} that a fault test kills, and returns its name.
     */
    public static String newTopic(String bootstrapServers, String prefix, int partitions) {
        String name = prefix + "-" + UUID.randomUUID().toString().substring(0, 13);
        new AdminKafka(bootstrapServers).createTopic(name, partitions, Map.of("cleanup.policy", "compact"));
        return name;
    }

    /** Creates topic {@code name} exactly as named on the shared broker. */
    public static void createTopic(String name, int partitions, Map<String, String> configs) {
        KAFKA.get().createTopic(name, partitions, configs);
    }

    /** Creates topic {@code name} exactly as named on another broker. */
    public static void createTopic(String bootstrapServers, String name, int partitions,
            Map<String, String> configs) {
        new AdminKafka(bootstrapServers).createTopic(name, partitions, configs);
    }

    /** The same JDBC URL pointing at another database; query parameters are kept. */
    static String jdbcUrlFor(String jdbcUrl, String database) {
        int query = jdbcUrl.indexOf('?');
        String base = query < 0 ? jdbcUrl : jdbcUrl.substring(0, query);
        String parameters = query < 0 ? "" : jdbcUrl.substring(query);
        int hostStart = base.indexOf("//");
        if (hostStart < 0) {
            throw new IllegalArgumentException("expected jdbc:postgresql://host[:port]/database, got " + base);
        }
        int slash = base.indexOf('/', hostStart + 2);
        String server = slash < 0 ? base : base.substring(0, slash);
        return server + "/" + database + parameters;
    }

    private static String withoutQuery(String jdbcUrl) {
        int query = jdbcUrl.indexOf('?');
        return query < 0 ? jdbcUrl : jdbcUrl.substring(0, query);
    }

    private static Postgres findPostgres() throws Exception {
        String url = System.getenv(DATABASE_URL_ENV);
        if (url != null && !url.isBlank()) {
            Postgres postgres = new Postgres(url, System.getenv(DATABASE_USER_ENV), System.getenv(DATABASE_PASSWORD_ENV));
            LOG.info("Test PostgreSQL from {}: {}", DATABASE_URL_ENV, postgres);
            return postgres;
        }
        if (DOCKER.get()) {
            List<String> command = new ArrayList<>(List.of("postgres", "-c", "fsync=off"));
            EmbeddedPostgresServer.serverConfig().forEach((key, value) -> command.addAll(List.of("-c", key + "=" + value)));
            PostgreSQLContainer<?> container = new PostgreSQLContainer<>(DockerImageName.parse("postgres:17"))
                    .withDatabaseName("postgres")
                    .withCommand(command.toArray(String[]::new));
            container.start();
            stopOnExit("postgres-container", container::stop);
            Postgres postgres = new Postgres(container.getJdbcUrl(), container.getUsername(), container.getPassword());
            LOG.info("Test PostgreSQL from Testcontainers: {}", postgres);
            return postgres;
        }
        EmbeddedPostgresServer server = EmbeddedPostgresServer.start();
        stopOnExit("embedded-postgres", server::close);
        Postgres postgres = new Postgres(server.jdbcUrl(), server.user(), server.password());
        LOG.info("Test PostgreSQL embedded (no environment variable, no Docker): {}", postgres);
        return postgres;
    }

    private static KafkaEndpoint findKafka() {
        String bootstrap = System.getenv(KAFKA_BOOTSTRAP_ENV);
        if (bootstrap != null && !bootstrap.isBlank()) {
            LOG.info("Test Kafka from {}: {}", KAFKA_BOOTSTRAP_ENV, bootstrap);
            return new AdminKafka(bootstrap);
        }
        if (DOCKER.get()) {
            // the broker image matching the client library keeps the protocol under test the same
            KafkaContainer container = new KafkaContainer(DockerImageName.parse("apache/kafka:" + AppInfoParser.getVersion()));
            SingleNodeKafkaSettings.BROKER.forEach((key, value) ->
                    container.withEnv("KAFKA_" + key.toUpperCase(Locale.ROOT).replace('.', '_'), value));
            container.start();
            stopOnExit("kafka-container", container::stop);
            LOG.info("Test Kafka from Testcontainers: {}", container.getBootstrapServers());
            return new AdminKafka(container.getBootstrapServers());
        }
        // A broker in this JVM that meets a fatal fault halts the whole JVM through Kafka's
        // Exit, and a test fork ended that way is reported as "Error occurred in starting fork"
        // with nothing in the log. Log it instead: a broken broker still fails the tests that
        // need it, and the fork's exit stays the test runner's.
        Exit.setHaltProcedure((status, message) ->
                LOG.warn("embedded Kafka asked to halt the JVM (status {}): {}", status, message));
        Exit.setExitProcedure((status, message) ->
                LOG.warn("embedded Kafka asked to exit the JVM (status {}): {}", status, message));
        EmbeddedKafkaCluster cluster = EmbeddedKafkaCluster.start();
        stopOnExit("embedded-kafka", cluster::close);
        LOG.info("Test Kafka embedded (no environment variable, no Docker): {}", cluster.bootstrapServers());
        return new EmbeddedKafka(cluster);
    }

    private static boolean probeDocker() {
        boolean available = DockerClientFactory.instance().isDockerAvailable();
        LOG.info("Docker engine {}", available ? "available: Testcontainers may be used" : "not available");
        return available;
    }

    private static void stopOnExit(String name, Runnable stop) {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                stop.run();
            } catch (RuntimeException e) {
                LOG.warn("Could not stop {}", name, e);
            }
        }, "testinfra-stop-" + name));
    }

    /** What tests need from a broker, whichever source it came from. */
    private interface KafkaEndpoint {
        String bootstrapServers();

        void createTopic(String name, int partitions, Map<String, String> configs);
    }

    private record EmbeddedKafka(EmbeddedKafkaCluster cluster) implements KafkaEndpoint {
        @Override
        public String bootstrapServers() {
            return cluster.bootstrapServers();
        }

        @Override
        public void createTopic(String name, int partitions, Map<String, String> configs) {
            cluster.createTopic(name, partitions, configs);
        }
    }

    /** A broker this JVM did not start: topics get the broker's default replication factor. */
    private record AdminKafka(String bootstrapServers) implements KafkaEndpoint {
        @Override
        public void createTopic(String name, int partitions, Map<String, String> configs) {
            NewTopic topic = new NewTopic(name, Optional.of(partitions), Optional.empty()).configs(configs);
            try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers))) {
                admin.createTopics(List.of(topic)).all().get(ADMIN_TIMEOUT_SECONDS, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while creating topic " + name, e);
            } catch (ExecutionException | TimeoutException e) {
                throw new IllegalStateException("could not create topic " + name, e);
            }
        }
    }

    /** Computes a value once, on first use; remembers a failure too. */
    private static final class Lazy<T> {
        private final String what;
        private final Callable<T> factory;
        private T value;
        private RuntimeException failure;

        Lazy(String what, Callable<T> factory) {
            this.what = what;
            this.factory = factory;
        }

        synchronized T get() {
            if (value == null && failure == null) {
                try {
                    value = factory.call();
                } catch (Exception e) {
                    if (e instanceof InterruptedException) {
                        Thread.currentThread().interrupt();
                    }
                    failure = new IllegalStateException("test infrastructure: " + what + " unavailable", e);
                }
            }
            if (failure != null) {
                throw failure;
            }
            return value;
        }
    }
}
