package io.pgbridge.source.wal;

import io.pgbridge.BridgeState;
import io.pgbridge.checkpoint.CheckpointStore;
import io.pgbridge.source.Recovery;
import io.pgbridge.source.wal.ReplicationSlots.Recorded;
import io.pgbridge.source.wal.ReplicationSlots.SlotState;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The slot's lifecycle at the start of each connection, before START_REPLICATION: refuses a
 * slot another bridge records or one that is not a pgoutput slot of this database; creates the
 * slot on first start; re-creates it when it was dropped or invalidated (ERROR log, metric,
 * {@code /status} lastLoss, last error); adopts an existing slot this bridge did not record;
 * and always records, in the bridge row and before creating, the catch-up the slot owes
 * ({@code wal_catchup_from}), which every start returns until {@link #recovered} clears it.
 * Called on the runner thread; {@link #lastLoss()} from any thread.
 */
final class SlotKeeper {

  private static final Logger log = LoggerFactory.getLogger(SlotKeeper.class);

  private final ReplicationSlots slots;
  private final CheckpointStore store;
  private final WalSource.Settings settings;
  private final WalMetrics metrics;
  private final BridgeState state;
  private final Clock clock;
  private volatile Map<String, Object> lastLoss;
  /** A loss seen whose slot is not created again yet (creation failed, retrying). */
  private Loss pendingLoss;

  /** How the slot was lost, when it was first seen. */
  private record Loss(String reason, String what, Instant at) {}

  SlotKeeper(ReplicationSlots slots, CheckpointStore store, WalSource.Settings settings,
      WalMetrics metrics, BridgeState state, Clock clock) {
    this.slots = slots;
    this.store = store;
    this.settings = settings;
    this.metrics = metrics;
    this.state = state;
    this.clock = clock;
  }

  /** The last loss, {@code {at, reason}}, or null. */
  Map<String, Object> lastLoss() {
    return lastLoss;
  }

  /**
   * Makes the slot ready to stream on {@code conn} (server major version {@code major});
   * returns the catch-up it owes ({@link ReplicationSlots#ALL}, a snapshot, or null).
   */
  String prepare(Connection conn, int major) throws SQLException {
    List<String> others = slots.recordedByOthers();
    if (!others.isEmpty()) {
      throw slots.foreign(others.get(0));
    }
    Recorded recorded = slots.recorded();
    String owed = recorded.catchupFrom();
    SlotState slot = slots.read(conn, major);
    if (slot.exists() && (!"pgoutput".equals(slot.plugin()) || !slot.ourDatabase())) {
      throw new SQLException("replication slot " + settings.slotName() + " exists but is not a"
          + " pgoutput slot of this database (plugin " + slot.plugin() + "): set wal.slot.name"
          + " to another name, or drop that slot", "55000");
    }
    String invalid = slot.invalidation();
    boolean ours = settings.slotName().equals(recorded.slot());
    if (!slot.exists() && ours) {
      owed = recreate(recorded, "dropped", "it is missing from pg_replication_slots", false);
    } else if (invalid != null) {
      owed = recreate(recorded, "invalidated", invalid, true);
    } else if (!slot.exists()) {
      if (recorded.slot() != null && !ours) {
        log.warn("this bridge used replication slot {} before, now {} (wal.slot.name changed):"
            + " drop the old slot if it still exists, it retains WAL", recorded.slot(),
            settings.slotName());
      }
      owed = owedCatchUp(recorded);
      slots.record(owed);
      slots.create(settings.failover());
      if (pendingLoss != null) {
        // a re-creation that failed before: its attempt no longer records the slot
        reportLoss(owed);
      } else {
        log.info("created replication slot {} on publication {}; catch-up from {}",
            settings.slotName(), settings.publication(), describe(owed));
      }
    } else if (!ours) {
      // a slot of this name that this bridge did not record (created by hand): its position
      // says nothing about what was published, so the checkpoint's catch-up runs once
      owed = owedCatchUp(recorded);
      slots.record(owed);
      log.info("adopting existing replication slot {}; catch-up from {}", settings.slotName(),
          describe(owed));
    }
    return owed;
  }

  /**
   * START_REPLICATION failed with {@code e}: when the slot's row (read again, with the columns
   * of server major version {@code major}) says it is lost, re-creates it and returns the
   * catch-up it owes; otherwise rethrows {@code e}. The row decides, not the message text
   * (which the server's lc_messages translates).
   */
  String afterFailedStart(SQLException e, int major) throws SQLException {
    if (!mayMeanLost(e)) {
      throw e;
    }
    SlotState slot;
    try (Connection c = slots.pool().getConnection()) {
      slot = slots.read(c, major);
    } catch (SQLException readFailed) {
      e.addSuppressed(readFailed);
      throw e;
    }
    String reason = lostReason(slot);
    if (reason == null) {
      throw e;
    }
    String what = slot.exists() ? slot.invalidation() : "it is missing from pg_replication_slots";
    return recreate(slots.recorded(), reason, what + "; START_REPLICATION failed: "
        + e.getMessage(), slot.exists());
  }

  /** The SQLSTATEs START_REPLICATION fails with for a dropped (42704) or invalidated slot. */
  static boolean mayMeanLost(SQLException e) {
    return "55000".equals(e.getSQLState()) || "42704".equals(e.getSQLState());
  }

  /** {@code dropped} or {@code invalidated} when {@code slot}'s row says it is lost, or null. */
  static String lostReason(SlotState slot) {
    if (!slot.exists()) {
      return "dropped";
    }
    return slot.invalidation() != null ? "invalidated" : null;
  }

  /**
   * Records that every session is owed (the catch-up the next connection's begin returns):
   * a change was received whose session is unknown.
   */
  void oweAll() throws SQLException {
    slots.record(ReplicationSlots.ALL);
  }

  /** The catch-up begin() asked for is done: it is no longer owed. */
  void recovered(Recovery done) throws SQLException {
    switch (done.kind()) {
      case ALL -> slots.clearCatchup(ReplicationSlots.ALL);
      case SNAPSHOT -> slots.clearCatchup(done.snapshot());
      default -> { }
    }
  }

  /**
   * The slot was lost: records the owed catch-up, drops what is left of the slot and creates
   * it again. Returns the owed catch-up. The loss is logged, counted and shown once the slot
   * exists again; a creation that fails is retried by the runner (its error is the
   * connection's), and the loss reported is the first one seen.
   */
  private String recreate(Recorded recorded, String reason, String what, boolean drop)
      throws SQLException {
    String owed = owedCatchUp(recorded);
    if (pendingLoss == null) {
      pendingLoss = new Loss(reason, what, Instant.now(clock));
    }
    slots.record(owed);
    if (drop) {
      slots.drop();
    }
    slots.create(settings.failover());
    reportLoss(owed);
    return owed;
  }

  private void reportLoss(String owed) {
    Loss loss = pendingLoss;
    pendingLoss = null;
    log.error("replication slot {} was {} ({}): created it again; the changes it held are"
        + " published again by a catch-up from {}", settings.slotName(), loss.reason(),
        loss.what(), describe(owed));
    metrics.recreated(loss.reason());
    lastLoss = Map.of("at", loss.at().toString(), "reason", loss.reason());
    state.lastError("replication slot " + settings.slotName() + " was " + loss.reason() + " ("
        + loss.what() + "): re-created, catching up from " + describe(owed));
  }

  /**
   * What a slot created now owes: an unfinished catch-up (still owed, and never newer than the
   * stored checkpoint), else the stored checkpoint, else (first start) every session with
   * {@code catchup.initial=all}, or the current snapshot, stored as the first checkpoint, with
   * {@code catchup.initial=none} (only what commits before the slot exists is then replayed).
   */
  private String owedCatchUp(Recorded recorded) throws SQLException {
    if (recorded.catchupFrom() != null) {
      return recorded.catchupFrom();
    }
    Optional<CheckpointStore.Checkpoint> checkpoint = store.load();
    if (checkpoint.isPresent()) {
      return checkpoint.get().snapshot();
    }
    if (settings.catchupInitialAll()) {
      store.register();
      return ReplicationSlots.ALL;
    }
    String now = store.currentSnapshot();
    store.store(now);
    return now;
  }

  private static String describe(String owed) {
    return owed == null ? "nothing" : ReplicationSlots.ALL.equals(owed)
        ? "the beginning (every session)" : "snapshot " + owed;
  }

  static Recovery recovery(String owed) {
    if (owed == null) {
      return Recovery.none();
    }
    return ReplicationSlots.ALL.equals(owed) ? Recovery.all() : Recovery.from(owed);
  }
}
