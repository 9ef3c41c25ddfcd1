package io.pgbridge.embedded;

import java.util.Map;

/**
 * Broker settings shared by {@link EmbeddedKafkaCluster}, {@link KafkaBrokerProcess} and the
 * test fixture's Kafka container: the overrides a one-node cluster needs to behave like a real
 * one for tests and the demo. Pure data, no lifecycle; read by any thread.
 */
public final class SingleNodeKafkaSettings {

    /**
     * Internal topics default to replication factor 3; with one broker their creation fails
     * quietly and consumer groups, transactions and share groups never receive anything.
     * One offsets partition keeps the first group join fast on two cores.
     */
    public static final Map<String, String> BROKER = Map.ofEntries(
            Map.entry("offsets.topic.replication.factor", "1"),
            Map.entry("offsets.topic.num.partitions", "1"),
            Map.entry("transaction.state.log.replication.factor", "1"),
            Map.entry("transaction.state.log.min.isr", "1"),
            Map.entry("share.coordinator.state.topic.replication.factor", "1"),
            Map.entry("share.coordinator.state.topic.min.isr", "1"),
            Map.entry("group.initial.rebalance.delay.ms", "0"),
            Map.entry("auto.create.topics.enable", "true"),
            Map.entry("num.partitions", "1"),
            Map.entry("default.replication.factor", "1"),
            Map.entry("min.insync.replicas", "1"));

    private SingleNodeKafkaSettings() {
    }
}
