package io.pgbridge.bench;

import java.sql.Connection;

/** The seed design's listener ({@link SeedListener}) with its own triggers and a producer. */
final class SeedPeer implements Peer {

  private final BenchInfra infra;
  private String database;
  private String topic;
  private ProducerFactory.Handle producer;
  private SeedListener listener;

  SeedPeer(BenchInfra infra) {
    this.infra = infra;
  }

  @Override
  public String name() {
    return "seed";
  }

  @Override
  public void prepare(BenchInfra infra, String database, String topic) throws Exception {
    this.topic = topic;
    infra.dropNotifyTriggers(database);
    try (Connection c = infra.connect(database)) {
      SeedListener.install(c);
    }
    this.database = database;
  }

  @Override
  public void start() throws Exception {
    producer = ProducerFactory.create(infra.bootstrap(), "seed-producer");
    listener = new SeedListener(infra.url(database), infra.user(), infra.password(),
        producer.producer(), topic);
    listener.start();
  }

  @Override
  public long notifications() {
    return listener == null ? -1 : listener.notifications.get();
  }

  @Override
  public String notes() {
    return "fetches " + listener.fetches.get() + ", fetches skipped by the 5 s cache "
        + listener.skippedCached.get() + ", failures " + listener.failures.get();
  }

  @Override
  public void close() throws Exception {
    if (listener != null) {
      listener.close();
      listener = null; // so that the heap it retained can be measured as freed
    }
    if (producer != null) {
      producer.close();
      producer = null;
    }
  }
}
