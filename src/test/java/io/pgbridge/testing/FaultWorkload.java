package io.pgbridge.testing;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The generation platform's writes while a fault happens, on one thread
 * ({@code fault-workload}): updates of {@code raw_state} of a set of hot sessions (most of the
 * time one session per transaction, sometimes three in one), child rows in the three child
 * tables, and now and then the deletion of a hot session, which is replaced by a new one. A
 * failed write (the database restarting, a broken connection) is counted, the connection is
 * reopened after a short pause and the workload goes on, so it keeps writing across a fault.
 * A write whose commit outcome is unknown is harmless to the final-state check: that check reads
 * the database afterwards, and a deletion is recorded before it is attempted (a deleted id
 * whose row still exists is not checked as deleted). {@link #pause()} blocks until the thread
 * is idle so that the database stops changing; {@link #stop()} ends it.
 */
public final class FaultWorkload implements AutoCloseable {

  /** Opens a connection to the database under test. */
  @FunctionalInterface
  public interface Connector {
    Connection connect() throws SQLException;
  }

  private static final Logger log = LoggerFactory.getLogger(FaultWorkload.class);
  private static final String PAD = "x".repeat(200);

  private final Connector connector;
  private final Random random;
  private final long pauseMicros;
  private final List<UUID> hot;
  private final Set<UUID> deleted = ConcurrentHashMap.newKeySet();
  private final Set<UUID> window = ConcurrentHashMap.newKeySet();
  private final AtomicLong sessionUpdates = new AtomicLong();
  private final AtomicLong childRows = new AtomicLong();
  private final AtomicLong inserts = new AtomicLong();
  private final AtomicLong deletes = new AtomicLong();
  private final AtomicLong failures = new AtomicLong();
  private final AtomicLong transactions = new AtomicLong();
  private final AtomicLong lastSuccessNanos = new AtomicLong();
  private final Thread thread;
  private volatile boolean running = true;
  private volatile boolean paused;
  private volatile boolean idle = true;
  private long counter;
  private Connection conn;

  /**
   * A workload on {@code hot} (copied; replacements of deleted sessions join it), with
   * {@code pauseMicros} between transactions and its choices drawn from {@code seed}.
   */
  public FaultWorkload(Connector connector, List<UUID> hot, long seed, long pauseMicros) {
    this.connector = connector;
    this.hot = new ArrayList<>(hot);
    this.random = new Random(seed);
    this.pauseMicros = pauseMicros;
    this.thread = new Thread(this::run, "fault-workload");
    this.thread.setDaemon(true);
  }

  /** Inserts {@code n} sessions in one transaction and returns their ids. */
  public static List<UUID> insertSessions(Connection c, int n) throws SQLException {
    List<UUID> ids = new ArrayList<>(n);
    boolean autoCommit = c.getAutoCommit();
    c.setAutoCommit(false);
    try (PreparedStatement ps = c.prepareStatement("INSERT INTO generation_sessions"
        + " (id, project_id, raw_state) VALUES (?, ?, ?::jsonb)")) {
      UUID project = UUID.randomUUID();
      for (int i = 0; i < n; i++) {
        UUID id = UUID.randomUUID();
        ids.add(id);
        ps.setObject(1, id);
        ps.setObject(2, project);
        ps.setString(3, "{\"n\":0,\"step\":\"created\"}");
        ps.addBatch();
      }
      ps.executeBatch();
      c.commit();
    } finally {
      c.setAutoCommit(autoCommit);
    }
    return ids;
  }

  public FaultWorkload start() {
    thread.start();
    return this;
  }

  /** Stops writing and returns once no transaction is in progress. */
  public void pause() throws InterruptedException {
    paused = true;
    while (!idle && thread.isAlive()) {
      Thread.sleep(2);
    }
  }

  public void resume() {
    paused = false;
  }

  /** Stops the thread and waits for it ({@link #close()} only interrupts it). */
  public void stop() throws InterruptedException {
    running = false;
    thread.join(30_000);
    if (thread.isAlive()) {
      throw new IllegalStateException("workload thread did not stop");
    }
  }

  @Override
  public void close() {
    running = false;
    thread.interrupt();
  }

  /** Starts a new window of sessions whose row changed (see {@link #window()}). */
  public void markWindow() {
    window.clear();
  }

  /** Sessions whose row was changed (updated, inserted, deleted) since {@link #markWindow()}. */
  public Set<UUID> window() {
    return new HashSet<>(window);
  }

  /** Every session this workload deleted (or tried to). */
  public Set<UUID> deleted() {
    return deleted;
  }

  /** Committed row changes: session updates, inserts, deletions and child rows. */
  public long rowChanges() {
    return sessionUpdates.get() + inserts.get() + deletes.get() + childRows.get();
  }

  public long failures() {
    return failures.get();
  }

  /** {@code System.nanoTime()} of the last committed transaction. */
  public long lastSuccessNanos() {
    return lastSuccessNanos.get();
  }

  /** Committed transactions so far. */
  public long commits() {
    return transactions.get();
  }

  /**
   * Waits until at least {@code more} transactions committed after the count {@code since}
   * (from {@link #commits()}); fails if they do not within {@code timeout}. A fault test calls
   * it after the fault, so that its final check cannot pass on a writer that never wrote again.
   */
  public void awaitCommitsAfter(long since, long more, java.time.Duration timeout)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (transactions.get() < since + more) {
      if (System.nanoTime() - deadline > 0 || !thread.isAlive()) {
        throw new AssertionError("the writer committed " + (transactions.get() - since)
            + " transaction(s) after the fault, expected at least " + more + " within "
            + timeout + " (" + report() + ")");
      }
      Thread.sleep(10);
    }
  }

  public String report() {
    return String.format("%d row changes in %d transactions (%d session updates, %d child rows,"
            + " %d inserts, %d deletes), %d failed attempts", rowChanges(), transactions.get(),
        sessionUpdates.get(), childRows.get(), inserts.get(), deletes.get(), failures.get());
  }

  private void run() {
    try {
      while (running) {
        if (paused) {
          idle = true;
          Thread.sleep(5);
          continue;
        }
        idle = false;
        if (paused) {
          continue;
        }
        try {
          if (conn == null) {
            conn = connector.connect();
          }
          writeOne();
          transactions.incrementAndGet();
          lastSuccessNanos.set(System.nanoTime());
        } catch (SQLException e) {
          failures.incrementAndGet();
          log.debug("write failed, reconnecting: {}", e.toString());
          closeQuietly();
          idle = true;
          Thread.sleep(100);
          continue;
        }
        idle = true;
        if (pauseMicros > 0) {
          TimeUnit.MICROSECONDS.sleep(pauseMicros);
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      idle = true;
      closeQuietly();
    }
  }

  private void writeOne() throws SQLException {
    int dice = random.nextInt(1000);
    if (dice < 5) {
      deleteAndReplace();
    } else if (dice < 60) {
      updateSeveral();
    } else if (dice < 200) {
      childRow(hot.get(random.nextInt(hot.size())));
    } else {
      UUID id = hot.get(random.nextInt(hot.size()));
      SessionWriter.updateState(conn, id, state());
      sessionUpdates.incrementAndGet();
      window.add(id);
    }
  }

  /** Three sessions and a child row in one transaction. */
  private void updateSeveral() throws SQLException {
    List<UUID> ids = new ArrayList<>(3);
    for (int i = 0; i < 3; i++) {
      ids.add(hot.get(random.nextInt(hot.size())));
    }
    conn.setAutoCommit(false);
    try {
      for (UUID id : ids) {
        SessionWriter.updateState(conn, id, state());
      }
      SessionWriter.insertTodo(conn, ids.get(0), "step " + counter);
      conn.commit();
    } catch (SQLException e) {
      rollbackQuietly();
      throw e;
    } finally {
      if (!conn.isClosed()) {
        conn.setAutoCommit(true);
      }
    }
    sessionUpdates.addAndGet(ids.size());
    childRows.incrementAndGet();
    window.addAll(ids);
  }

  private void childRow(UUID session) throws SQLException {
    String sql = switch (random.nextInt(3)) {
      case 0 -> "INSERT INTO generation_todos (session_id, content) VALUES (?, ?)";
      case 1 -> "INSERT INTO generation_tool_calls (session_id, tool_name) VALUES (?, ?)";
      default -> "INSERT INTO generation_notes (session_id, body) VALUES (?, ?)";
    };
    try (PreparedStatement ps = conn.prepareStatement(sql)) {
      ps.setObject(1, session);
      ps.setString(2, "child " + (++counter));
      ps.executeUpdate();
    }
    childRows.incrementAndGet();
  }

  private void deleteAndReplace() throws SQLException {
    int index = random.nextInt(hot.size());
    UUID victim = hot.get(index);
    // recorded first: if the commit's fate is unknown, the check skips a row that survived
    deleted.add(victim);
    SessionWriter.delete(conn, victim);
    deletes.incrementAndGet();
    window.add(victim);
    UUID replacement = UUID.randomUUID();
    hot.set(index, replacement);
    SessionWriter.insert(conn, replacement, UUID.randomUUID(), state());
    inserts.incrementAndGet();
    window.add(replacement);
  }

  private String state() {
    counter++;
    return "{\"n\":" + counter + ",\"step\":\"s" + random.nextInt(1_000_000) + "\",\"pad\":\""
        + PAD.substring(0, random.nextInt(PAD.length())) + "\"}";
  }

  private void rollbackQuietly() {
    try {
      if (!conn.isClosed()) {
        conn.rollback();
      }
    } catch (SQLException e) {
      log.debug("rollback failed: {}", e.toString());
    }
  }

  private void closeQuietly() {
    if (conn != null) {
      try {
        conn.close();
      } catch (SQLException e) {
        log.debug("close failed: {}", e.toString());
      }
      conn = null;
    }
  }
}
