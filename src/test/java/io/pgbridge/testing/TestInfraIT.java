package io.pgbridge.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;

/** Proves that the shared PostgreSQL and Kafka from {@link TestInfra} are real and fully usable. */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class TestInfraIT {

    @Test
    void postgresAnswersVersionQuery() throws SQLException {
        try (Connection connection = TestInfra.postgres().connect();
             Statement statement = connection.createStatement();
             ResultSet rs = statement.executeQuery("select version()")) {
            assertThat(rs.next()).isTrue();
            assertThat(rs.getString(1)).startsWith("PostgreSQL ");
        }
    }

    @Test
    void postgresAllowsLogicalReplicationAndManyConnections() throws SQLException {
        try (Connection connection = TestInfra.postgres().connect()) {
            assertThat(setting(connection, "wal_level")).isEqualTo("logical");
            assertThat(Integer.parseInt(setting(connection, "max_connections"))).isGreaterThanOrEqualTo(200);
            assertThat(Integer.parseInt(setting(connection, "max_replication_slots"))).isGreaterThanOrEqualTo(40);
            assertThat(Integer.parseInt(setting(connection, "max_wal_senders"))).isGreaterThanOrEqualTo(40);
        }
    }

    @Test
    void notificationRoundTripsThroughListenAndNotify() throws SQLException {
        String channel = "testinfra_" + UUID.randomUUID().toString().replace("-", "");
        try (Connection listener = TestInfra.postgres().connect(); Connection notifier = TestInfra.postgres().connect()) {
            try (Statement statement = listener.createStatement()) {
                statement.execute("LISTEN " + channel);
            }
            try (PreparedStatement notify = notifier.prepareStatement("select pg_notify(?, ?)")) {
                notify.setString(1, channel);
                notify.setString(2, "hello");
                notify.execute();
            }
            List<PGNotification> received = new ArrayList<>();
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (received.isEmpty() && System.nanoTime() - deadline < 0) {
                PGNotification[] batch = listener.unwrap(PGConnection.class).getNotifications(1000);
                if (batch != null) {
                    received.addAll(List.of(batch));
                }
            }
            assertThat(received).hasSize(1);
            assertThat(received.get(0).getName()).isEqualTo(channel);
            assertThat(received.get(0).getParameter()).isEqualTo("hello");
        }
    }

    @Test
    void createDatabaseGivesAFreshDatabaseEachTime() throws SQLException {
        TestInfra.Postgres server = TestInfra.postgres();
        String url = TestInfra.createDatabase("testinfra_it");
        try (Connection connection = DriverManager.getConnection(url, server.user(), server.password());
             Statement statement = connection.createStatement()) {
            try (ResultSet rs = statement.executeQuery("select current_database()")) {
                assertThat(rs.next()).isTrue();
                assertThat(rs.getString(1)).isEqualTo("testinfra_it");
            }
            statement.execute("create table leftover(id int)");
        }
        String again = TestInfra.createDatabase("testinfra_it");
        try (Connection connection = DriverManager.getConnection(again, server.user(), server.password());
             Statement statement = connection.createStatement();
             ResultSet rs = statement.executeQuery("select count(*) from pg_tables where tablename = 'leftover'")) {
            assertThat(rs.next()).isTrue();
            assertThat(rs.getInt(1)).isZero();
        }
    }

    @Test
    void consumerGroupReceivesRecordFromNewCompactedTopic() throws Exception {
        String bootstrap = TestInfra.kafkaBootstrap();
        String topic = TestInfra.newTopic("testinfra", 2);
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
            ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, topic);
            Config config = admin.describeConfigs(List.of(resource)).all().get(30, TimeUnit.SECONDS).get(resource);
            assertThat(config.get("cleanup.policy").value()).isEqualTo("compact");
            assertThat(admin.describeTopics(List.of(topic)).allTopicNames().get(30, TimeUnit.SECONDS)
                    .get(topic).partitions()).hasSize(2);
        }
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ProducerConfig.ACKS_CONFIG, "all"), new StringSerializer(), new StringSerializer())) {
            producer.send(new ProducerRecord<>(topic, 0, "session-1", "state-1")).get(30, TimeUnit.SECONDS);
        }
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ConsumerConfig.GROUP_ID_CONFIG, "testinfra-" + UUID.randomUUID(),
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false"), new StringDeserializer(), new StringDeserializer())) {
            consumer.subscribe(List.of(topic));
            List<ConsumerRecord<String, String>> received = new ArrayList<>();
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (received.isEmpty() && System.nanoTime() - deadline < 0) {
                consumer.poll(Duration.ofMillis(500)).forEach(received::add);
            }
            assertThat(received).hasSize(1);
            assertThat(received.get(0).key()).isEqualTo("session-1");
            assertThat(received.get(0).value()).isEqualTo("state-1");
            consumer.commitSync(Duration.ofSeconds(30));
            TopicPartition partition = new TopicPartition(topic, 0);
            Map<TopicPartition, OffsetAndMetadata> committed = consumer.committed(Set.of(partition), Duration.ofSeconds(30));
            assertThat(committed.get(partition).offset()).isEqualTo(1);
        }
    }

    private static String setting(Connection connection, String name) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement("select current_setting(?)")) {
            statement.setString(1, name);
            try (ResultSet rs = statement.executeQuery()) {
                rs.next();
                return rs.getString(1);
            }
        }
    }
}
