package io.pgbridge.bench;

import io.debezium.embedded.Connect;
import io.debezium.engine.DebeziumEngine;
import io.debezium.engine.RecordChangeEvent;
import io.debezium.engine.format.ChangeEventFormat;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.source.SourceRecord;

/**
 * Debezium's PostgreSQL connector (embedded engine, pgoutput, only
 * {@code public.generation_sessions}, no initial snapshot, offsets in memory) whose change
 * events our callback turns into pgbridge-shaped records: key = session id, value = envelope
 * of the after-image's {@code raw_state} and {@code state_version}. Like Debezium Server's Kafka
 * sink, a batch is marked processed only after Kafka acknowledged all its records. Threads:
 * {@code debezium-engine} runs the engine; Debezium adds its own.
 */
final class DebeziumPeer implements Peer {

  private final BenchInfra infra;
  private String database;
  private String topic;
  private ProducerFactory.Handle producer;
  private DebeziumEngine<RecordChangeEvent<SourceRecord>> engine;
  private ExecutorService executor;
  private final CountDownLatch started = new CountDownLatch(1);
  private final AtomicReference<Throwable> failure = new AtomicReference<>();
  private final AtomicLong events = new AtomicLong();

  DebeziumPeer(BenchInfra infra) {
    this.infra = infra;
  }

  @Override
  public String name() {
    return "debezium";
  }

  @Override
  public void prepare(BenchInfra infra, String database, String topic) throws Exception {
    this.topic = topic;
    infra.dropNotifyTriggers(database);
    this.database = database;
  }

  @Override
  public void start() throws Exception {
    producer = ProducerFactory.create(infra.bootstrap(), "debezium-producer");
    Properties p = new Properties();
    p.setProperty("name", "bench-debezium");
    p.setProperty("connector.class", "io.debezium.connector.postgresql.PostgresConnector");
    p.setProperty("offset.storage", "org.apache.kafka.connect.storage.MemoryOffsetBackingStore");
    p.setProperty("offset.flush.interval.ms", "1000");
    p.setProperty("database.hostname", infra.host());
    p.setProperty("database.port", Integer.toString(infra.port()));
    p.setProperty("database.user", infra.user());
    p.setProperty("database.password", infra.password());
    p.setProperty("database.dbname", database);
    p.setProperty("topic.prefix", "bench");
    p.setProperty("plugin.name", "pgoutput");
    p.setProperty("slot.name", "bench_debezium");
    p.setProperty("slot.drop.on.stop", "true");
    p.setProperty("publication.name", "bench_debezium");
    p.setProperty("publication.autocreate.mode", "filtered");
    p.setProperty("table.include.list", "public.generation_sessions");
    // xid8 is not a type Debezium maps; the column is pgbridge's, not the application's
    p.setProperty("column.exclude.list", "public.generation_sessions.last_txid");
    p.setProperty("snapshot.mode", "no_data");
    p.setProperty("poll.interval.ms", "10");
    p.setProperty("max.batch.size", "2048");
    p.setProperty("max.queue.size", "8192");
    p.setProperty("tombstones.on.delete", "false");
    engine = DebeziumEngine.create(ChangeEventFormat.of(Connect.class))
        .using(p)
        .using(new DebeziumEngine.ConnectorCallback() {
          @Override
          public void pollingStarted() {
            started.countDown();
          }
        })
        .using((success, message, error) -> {
          if (!success) {
            failure.set(error == null ? new IllegalStateException(message) : error);
          }
          started.countDown();
        })
        .notifying(this::handleBatch)
        .build();
    executor = Executors.newSingleThreadExecutor(r -> new Thread(r, "debezium-engine"));
    executor.execute(engine);
    if (!started.await(60, TimeUnit.SECONDS) || failure.get() != null) {
      throw new IllegalStateException("Debezium did not start", failure.get());
    }
  }

  private void handleBatch(List<RecordChangeEvent<SourceRecord>> batch,
      DebeziumEngine.RecordCommitter<RecordChangeEvent<SourceRecord>> committer)
      throws InterruptedException {
    List<Future<RecordMetadata>> sent = new ArrayList<>(batch.size());
    for (RecordChangeEvent<SourceRecord> e : batch) {
      events.incrementAndGet();
      Object v = e.record().value();
      if (v instanceof Struct value && value.schema().field("after") != null) {
        Struct after = value.getStruct("after");
        if (after != null) {
          String id = after.getString("id");
          String project = after.getString("project_id");
          long version = after.getInt64("state_version");
          Object updated = after.get("updated_at");
          String state = after.getString("raw_state");
          ProducerRecord<byte[], byte[]> rec = new ProducerRecord<>(topic,
              id.getBytes(StandardCharsets.UTF_8),
              Envelope.json(id, project, version, updated == null ? null : updated.toString(),
                  state));
          rec.headers().add("pgbridge.version",
              Long.toString(version).getBytes(StandardCharsets.UTF_8));
          rec.headers().add("pgbridge.project_id", project.getBytes(StandardCharsets.UTF_8));
          sent.add(producer.producer().send(rec));
        }
      }
    }
    for (Future<RecordMetadata> f : sent) {
      try {
        f.get();
      } catch (java.util.concurrent.ExecutionException ex) {
        throw new IllegalStateException("Kafka send failed", ex.getCause());
      }
    }
    for (RecordChangeEvent<SourceRecord> e : batch) {
      committer.markProcessed(e);
    }
    committer.markBatchFinished();
  }

  @Override
  public long notifications() {
    return events.get();
  }

  @Override
  public String notes() {
    return "change events " + events.get();
  }

  @Override
  public void close() throws Exception {
    if (engine != null) {
      engine.close();
    }
    if (executor != null) {
      executor.shutdown();
      executor.awaitTermination(30, TimeUnit.SECONDS);
    }
    if (producer != null) {
      producer.close();
    }
    // so that the heap they retained can be measured as freed
    engine = null;
    executor = null;
    producer = null;
  }
}
