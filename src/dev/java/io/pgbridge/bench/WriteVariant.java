package io.pgbridge.bench;

import io.pgbridge.source.SourceMode;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;
import org.postgresql.PGConnection;

/**
 * One database configuration of {@code bench writes}, and what reads its changes while the
 * writers run. {@link #prepare} creates and migrates the database once; around every measured
 * run {@link #beforeRun} starts the reader, {@link #caughtUp} (after a warm-up) waits until it
 * has read the warm-up's writes and counts what it reads from then on, and {@link #afterRun}
 * waits until it has read everything the run wrote, then stops it, so that no reader works
 * during another variant's run (a walsender decodes every database's WAL). Called from the
 * benchmark's main thread.
 *
 * <ul>
 *   <li>{@code bare}: the application alone: pgbridge migrated, then every trigger on the four
 *       tables and the {@code last_txid} index dropped; nothing reads.
 *   <li>{@code notify}: {@code migrate} for NOTIFY, a real bridge ({@code source.mode=notify},
 *       production defaults) publishing to Kafka.
 *   <li>{@code wal}: {@code migrate --source-mode wal}, a real bridge ({@code source.mode=wal})
 *       draining its slot and publishing to Kafka.
 *   <li>{@code wal-drain}: the WAL database of {@code wal}, read by {@link WalDrain} (pgoutput,
 *       every position confirmed at once, nothing fetched or published): the stand-in for the
 *       WAL bridge, the server-side cost of a WAL source alone.
 *   <li>{@code notify-listen}: the NOTIFY database of {@code notify}, read by one LISTEN
 *       connection that drains the channel: NOTIFY's cost alone, the counterpart of
 *       {@code wal-drain}.
 * </ul>
 */
abstract class WriteVariant implements AutoCloseable {

  static final List<String> NAMES = List.of("bare", "notify", "wal", "wal-drain",
      "notify-listen");
  private static final long DRAIN_TIMEOUT_MS = 120_000;

  final BenchInfra infra;
  final String name;
  final String database;

  private WriteVariant(BenchInfra infra, String name) {
    this.infra = infra;
    this.name = name;
    this.database = "bench_writes_" + name.replace('-', '_');
  }

  static WriteVariant of(String name, BenchInfra infra) {
    return switch (name) {
      case "bare" -> new Bare(infra);
      case "notify" -> new WithBridge(infra, name, "pgbridge-100");
      case "wal" -> new WithBridge(infra, name, "pgbridge-100-wal");
      case "wal-drain" -> new Drained(infra);
      case "notify-listen" -> new Listened(infra);
      default -> throw new IllegalArgumentException("unknown variant " + name + " " + NAMES);
    };
  }

  /** Fails unless the database has NOTIFY triggers exactly when {@code mode} is NOTIFY. */
  void checkMode(SourceMode mode) throws SQLException {
    int notifying = infra.notifyingTriggers(database);
    if ((mode == SourceMode.NOTIFY) != (notifying > 0)) {
      throw new IllegalStateException(name + ": " + notifying + " notifying triggers after"
          + " migrating for " + mode.value());
    }
  }

  /** What this variant's name says the database is, for the report. */
  abstract String describe();

  /** Creates and migrates the database (the sessions are inserted by the caller). */
  abstract void prepare() throws Exception;

  void beforeRun() throws Exception {}

  /**
   * Waits until the reader has read everything written so far and leaves it running: the end of
   * a warm-up, so that the measured run starts with the reader caught up. What it read until
   * now is not counted in {@link #afterRun}'s report.
   */
  void caughtUp() throws Exception {}

  /**
   * Waits until the reader has read everything written so far, stops it; returns what it read
   * since {@link #beforeRun} or the last {@link #caughtUp} (for the run's line) and fails if
   * that is nothing.
   */
  String afterRun() throws Exception {
    return "";
  }

  @Override
  public void close() throws Exception {}

  private static final class Bare extends WriteVariant {
    Bare(BenchInfra infra) {
      super(infra, "bare");
    }

    @Override
    String describe() {
      return "no pgbridge trigger or index; nothing reads";
    }

    @Override
    void prepare() throws Exception {
      infra.freshDatabase(database, SourceMode.NOTIFY);
      infra.dropAllBridgeTriggers(database);
      List<String> left = infra.triggers(database);
      if (!left.isEmpty()) {
        throw new IllegalStateException("bare database still has triggers " + left);
      }
    }
  }

  /** A real bridge, started before and stopped after every run. */
  private static final class WithBridge extends WriteVariant {
    private final String peerName;
    private String topic;
    private BridgePeer peer;
    private boolean slotCreated;
    /** Changes read before the measured run. */
    private long counted;

    WithBridge(BenchInfra infra, String name, String peerName) {
      super(infra, name);
      this.peerName = peerName;
    }

    private SourceMode mode() {
      return BridgePeer.parse(peerName).sourceMode();
    }

    @Override
    String describe() {
      return mode() == SourceMode.WAL
          ? "migrate --source-mode wal; a bridge with source.mode=wal (" + peerName + ")"
          : "migrate (notify); a bridge with source.mode=notify (" + peerName + ")";
    }

    @Override
    void prepare() throws Exception {
      infra.freshDatabase(database, mode());
      checkMode(mode());
      topic = infra.newTopic("bench-writes-" + name, 3);
    }

    @Override
    void beforeRun() throws Exception {
      if (slotCreated) {
        WalDrain.advanceToCurrent(infra, database, BridgePeer.slotName(database));
      }
      peer = BridgePeer.parse(peerName);
      peer.prepare(infra, database, topic, true);
      peer.start();
      counted = 0;
      slotCreated = mode() == SourceMode.WAL;
    }

    @Override
    void caughtUp() throws Exception {
      awaitRead();
      counted = peer.notifications();
    }

    private void awaitRead() throws Exception {
      if (mode() == SourceMode.WAL) {
        String end = WalDrain.currentLsn(infra, database);
        if (!WalDrain.awaitConfirmed(infra, database, BridgePeer.slotName(database), end,
            DRAIN_TIMEOUT_MS, null)) {
          throw new IllegalStateException(name + ": the bridge did not confirm " + end);
        }
      }
      awaitQuiet(peer);
    }

    @Override
    String afterRun() throws Exception {
      long start = System.nanoTime();
      try {
        awaitRead();
        long changes = peer.notifications() - counted;
        if (changes == 0) {
          throw new IllegalStateException(name + ": the bridge received no changes");
        }
        return String.format(Locale.ROOT, "bridge read %d changes, drained %.1f s after the"
            + " writers", changes, (System.nanoTime() - start) / 1e9);
      } finally {
        peer.stop();
        peer = null;
      }
    }

    /** Nothing pending and no new change for 500 ms. */
    private static void awaitQuiet(BridgePeer peer) throws InterruptedException {
      long deadline = System.nanoTime() + DRAIN_TIMEOUT_MS * 1_000_000;
      long seen = -1;
      long quietSince = System.nanoTime();
      while (System.nanoTime() < deadline) {
        long now = peer.notifications();
        if (now != seen || peer.pendingSessions() > 0) {
          seen = now;
          quietSince = System.nanoTime();
        } else if (System.nanoTime() - quietSince > 500_000_000L) {
          return;
        }
        Thread.sleep(20);
      }
      throw new IllegalStateException("the bridge did not drain within " + DRAIN_TIMEOUT_MS
          + " ms");
    }

    @Override
    public void close() throws Exception {
      if (peer != null) {
        peer.stop();
      }
      if (mode() == SourceMode.WAL) {
        infra.dropSlot(BridgePeer.slotName(database));
      }
      if (topic != null) {
        infra.deleteTopic(topic);
      }
    }
  }

  private static final class Drained extends WriteVariant {
    private WalDrain drain;
    private String slot;
    /** Messages read before the measured run. */
    private long counted;

    Drained(BenchInfra infra) {
      super(infra, "wal-drain");
    }

    @Override
    String describe() {
      return "migrate --source-mode wal; stand-in reader: pgjdbc pgoutput stream confirming at"
          + " once (no bridge, no fetch, no Kafka)";
    }

    @Override
    void prepare() throws Exception {
      infra.freshDatabase(database, SourceMode.WAL);
      checkMode(SourceMode.WAL);
      slot = BridgePeer.slotName(database);
      WalDrain.createSlot(infra, database, slot);
    }

    @Override
    void beforeRun() throws Exception {
      WalDrain.advanceToCurrent(infra, database, slot);
      drain = WalDrain.start(infra, database, slot, BenchInfra.PUBLICATION);
      counted = 0;
    }

    @Override
    void caughtUp() throws Exception {
      awaitConfirmed();
      counted = drain.messages();
    }

    private void awaitConfirmed() throws Exception {
      String end = WalDrain.currentLsn(infra, database);
      if (!drain.awaitConfirmed(infra, database, slot, end, DRAIN_TIMEOUT_MS)) {
        throw new IllegalStateException("wal-drain did not confirm " + end);
      }
    }

    @Override
    String afterRun() throws Exception {
      long start = System.nanoTime();
      try {
        awaitConfirmed();
        long messages = drain.messages() - counted;
        if (messages == 0) {
          throw new IllegalStateException("wal-drain received no messages");
        }
        return String.format(Locale.ROOT, "stream read %d pgoutput messages, confirmed %.1f s"
            + " after the writers", messages, (System.nanoTime() - start) / 1e9);
      } finally {
        drain.close();
        drain = null;
      }
    }

    @Override
    public void close() throws Exception {
      if (drain != null) {
        drain.close();
      }
      if (slot != null) {
        infra.dropSlot(slot);
      }
    }
  }

  private static final class Listened extends WriteVariant {
    private Connection conn;
    private Thread listener;
    private final AtomicLong received = new AtomicLong();

    Listened(BenchInfra infra) {
      super(infra, "notify-listen");
    }

    @Override
    String describe() {
      return "migrate (notify); stand-in reader: one LISTEN connection draining the channel"
          + " (no bridge, no fetch, no Kafka)";
    }

    @Override
    void prepare() throws Exception {
      infra.freshDatabase(database, SourceMode.NOTIFY);
      checkMode(SourceMode.NOTIFY);
    }

    @Override
    void beforeRun() throws Exception {
      conn = CompareBench.connect(infra, database, "notify-listen");
      try (Statement s = conn.createStatement()) {
        s.execute("LISTEN " + BenchInfra.CHANNEL);
      }
      PGConnection pg = conn.unwrap(PGConnection.class);
      Connection c = conn;
      received.set(0);
      listener = new Thread(() -> {
        try {
          while (!c.isClosed()) {
            var n = pg.getNotifications(200);
            if (n != null) {
              received.addAndGet(n.length);
            }
          }
        } catch (SQLException e) {
          // the connection is closed at the end of the run
        }
      }, "notify-listen");
      listener.setDaemon(true);
      listener.start();
    }

    @Override
    void caughtUp() throws Exception {
      awaitStill();
      received.set(0);
    }

    /** Until no notification arrived for 300 ms. */
    private void awaitStill() throws InterruptedException {
      long seen = -1;
      while (received.get() != seen) {
        seen = received.get();
        Thread.sleep(300);
      }
    }

    @Override
    String afterRun() throws Exception {
      awaitStill();
      long seen = received.get();
      conn.close();
      listener.join(5_000);
      if (seen == 0) {
        throw new IllegalStateException("notify-listen received no notifications");
      }
      return "LISTEN read " + seen + " notifications";
    }

    @Override
    public void close() throws Exception {
      if (conn != null) {
        conn.close();
      }
    }
  }
}
