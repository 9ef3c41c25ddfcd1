package io.pgbridge.demo;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pgbridge.demo.RowChanges.Op;
import io.pgbridge.demo.RowChanges.Table;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import javax.sql.DataSource;

/**
 * The simulated agent runner: keeps about {@code sessions} generation sessions active, each
 * writing a burst every 100-300 ms the way the seed platform's persistent processor does: a
 * todo status change (and sometimes a new todo), one to three tool calls each inserted as
 * running and then updated with its output, sometimes a note, and last a {@code raw_state}
 * refresh of the session row. Some bursts are one transaction; the others commit after each
 * step, as an ORM saving every entity does. A session ends after a random number of bursts (completed or
 * failed), a few are then deleted, and a new one takes its place. Runs on a small fixed pool of
 * named writer threads; a session has at most one task queued, so the queue is bounded by the
 * number of sessions. {@link #start()} schedules the first sessions; {@link #stop} cancels what is
 * queued and waits for the bursts under way to commit.
 */
final class AgentWorkload {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String[] TOOLS =
      {"read_file", "write_file", "edit_file", "run_tests", "search_code", "bash"};
  private static final String[] PHASES = {"planning", "implementing", "testing", "reviewing"};
  private static final double DELETE_PROBABILITY = 0.05;
  private static final double ORM_STYLE_PROBABILITY = 0.4;

  private final DataSource pool;
  private final int target;
  private final CommitTimes commits;
  private final RowChanges rows = new RowChanges();
  private final ScheduledThreadPoolExecutor writers;
  private final List<UUID> projects = new ArrayList<>();
  /** Every session ever created, with whether it was deleted; read by the final check. */
  private final Map<UUID, Boolean> created = new ConcurrentHashMap<>();
  private final AtomicBoolean stopping = new AtomicBoolean();
  private final AtomicInteger active = new AtomicInteger();
  private final LongAdder bursts = new LongAdder();
  private final LongAdder finished = new LongAdder();
  private final LongAdder errors = new LongAdder();
  private volatile String firstError;

  AgentWorkload(DataSource pool, int sessions, int threads, CommitTimes commits) {
    this.pool = pool;
    this.target = sessions;
    this.commits = commits;
    AtomicInteger n = new AtomicInteger();
    this.writers = new ScheduledThreadPoolExecutor(threads, r -> {
      Thread t = new Thread(r, "demo-writer-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    });
    writers.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
    writers.setRemoveOnCancelPolicy(true);
    for (int i = 0; i < Math.max(3, sessions / 10); i++) {
      projects.add(UUID.randomUUID());
    }
  }

  /** Schedules the first sessions, spread over 300 ms so they do not write in lockstep. */
  void start() {
    for (int i = 0; i < target; i++) {
      spawn(ThreadLocalRandom.current().nextLong(300));
    }
  }

  /** Drops queued work and waits up to {@code timeoutMs} for bursts under way to commit. */
  boolean stop(long timeoutMs) throws InterruptedException {
    stopping.set(true);
    writers.shutdown();
    return writers.awaitTermination(timeoutMs, TimeUnit.MILLISECONDS);
  }

  RowChanges rows() {
    return rows;
  }

  /** The projects the sessions belong to. */
  List<UUID> projects() {
    return List.copyOf(projects);
  }

  long bursts() {
    return bursts.sum();
  }

  int active() {
    return active.get();
  }

  long finished() {
    return finished.sum();
  }

  long errors() {
    return errors.sum();
  }

  String firstError() {
    return firstError;
  }

  /** Session id to "was deleted", for every session this workload created. */
  Map<UUID, Boolean> sessions() {
    return Map.copyOf(created);
  }

  long deleted() {
    return created.values().stream().filter(d -> d).count();
  }

  private void spawn(long delayMs) {
    if (stopping.get()) {
      return;
    }
    UUID project = projects.get(ThreadLocalRandom.current().nextInt(projects.size()));
    Agent agent = new Agent(UUID.randomUUID(), project,
        10 + ThreadLocalRandom.current().nextInt(31));
    schedule(agent, delayMs);
  }

  private void schedule(Agent agent, long delayMs) {
    if (stopping.get()) {
      return;
    }
    try {
      writers.schedule(() -> step(agent), delayMs, TimeUnit.MILLISECONDS);
    } catch (java.util.concurrent.RejectedExecutionException e) {
      // stop() raced with us: the workload is over, nothing to schedule
    }
  }

  private void step(Agent agent) {
    if (stopping.get()) {
      return;
    }
    try {
      if (agent.deleteNext) {
        delete(agent);
        return;
      }
      if (!agent.started) {
        insert(agent);
        active.incrementAndGet();
      } else if (agent.burst < agent.plannedBursts) {
        burst(agent);
      } else {
        finish(agent);
        agent.done = true;
        active.decrementAndGet();
        finished.increment();
        spawn(nextDelay());
        if (ThreadLocalRandom.current().nextDouble() < DELETE_PROBABILITY) {
          agent.deleteNext = true;
          schedule(agent, 200 + ThreadLocalRandom.current().nextLong(800));
        }
        return;
      }
      schedule(agent, nextDelay());
    } catch (SQLException | RuntimeException e) {
      errors.increment();
      if (firstError == null) {
        firstError = "session " + agent.id + ": " + e;
      }
      if (!agent.done) {
        // abandoned as it stands in the database; another session takes its place
        agent.done = true;
        if (agent.started) {
          active.decrementAndGet();
        }
        spawn(nextDelay());
      }
    }
  }

  private static long nextDelay() {
    return 100 + ThreadLocalRandom.current().nextLong(201);
  }

  private void insert(Agent agent) throws SQLException {
    RowChanges.Pending tally = new RowChanges.Pending();
    try (Connection c = pool.getConnection()) {
      long version = updateSession(c, agent, "INSERT INTO generation_sessions"
          + " (raw_state, status, id, project_id) VALUES (?::jsonb, ?, ?, ?)"
          + " RETURNING state_version", tally);
      agent.started = true;
      created.put(agent.id, false);
      committed(agent, version, tally);
    }
  }

  /** One burst of agent progress; see the class comment for its shape. */
  private void burst(Agent agent) throws SQLException {
    ThreadLocalRandom rnd = ThreadLocalRandom.current();
    boolean ormStyle = rnd.nextDouble() < ORM_STYLE_PROBABILITY;
    RowChanges.Pending tally = new RowChanges.Pending();
    agent.burst++;
    try (Connection c = pool.getConnection()) {
      c.setAutoCommit(false);
      try {
        if (agent.todos.size() < 8 && (agent.todos.isEmpty() || rnd.nextDouble() < 0.4)) {
          insertTodo(c, agent, tally);
        }
        advanceTodo(c, agent, tally);
        if (ormStyle) {
          commit(c, tally);
        }
        for (int calls = 1 + rnd.nextInt(3); calls > 0; calls--) {
          // an ORM saves the call as running before the tool runs, then its result
          UUID call = insertToolCall(c, agent, tally);
          if (ormStyle) {
            commit(c, tally);
          }
          completeToolCall(c, call, tally);
          if (ormStyle) {
            commit(c, tally);
          }
        }
        if (rnd.nextDouble() < 0.5) {
          insertNote(c, agent, tally);
        }
        long version = updateSession(c, agent, "UPDATE generation_sessions SET raw_state ="
            + " ?::jsonb, status = ?, updated_at = now() WHERE id = ? AND project_id = ?"
            + " RETURNING state_version", tally);
        c.commit();
        committed(agent, version, tally);
        bursts.increment();
      } catch (SQLException | RuntimeException e) {
        c.rollback();
        throw e;
      }
    }
  }

  private void finish(Agent agent) throws SQLException {
    agent.status = ThreadLocalRandom.current().nextDouble() < 0.1 ? "failed" : "completed";
    agent.burst = agent.plannedBursts + 1;
    RowChanges.Pending tally = new RowChanges.Pending();
    try (Connection c = pool.getConnection()) {
      long version = updateSession(c, agent, "UPDATE generation_sessions SET raw_state ="
          + " ?::jsonb, status = ?, updated_at = now() WHERE id = ? AND project_id = ?"
          + " RETURNING state_version", tally);
      committed(agent, version, tally);
    }
  }

  /** Deletes a finished session and its rows in one transaction, children first. */
  private void delete(Agent agent) throws SQLException {
    RowChanges.Pending tally = new RowChanges.Pending();
    try (Connection c = pool.getConnection()) {
      c.setAutoCommit(false);
      try {
        for (Table t : List.of(Table.NOTES, Table.TOOL_CALLS, Table.TODOS)) {
          tally.add(t, Op.DELETE, deleteBySession(c, "DELETE FROM " + t.sqlName
              + " WHERE session_id = ?", agent.id));
        }
        tally.add(Table.SESSIONS, Op.DELETE, deleteBySession(c,
            "DELETE FROM generation_sessions WHERE id = ?", agent.id));
        c.commit();
      } catch (SQLException | RuntimeException e) {
        c.rollback();
        throw e;
      }
      rows.commit(tally);
      created.put(agent.id, true);
      commits.forget(agent.id);
    }
  }

  private void commit(Connection c, RowChanges.Pending tally) throws SQLException {
    c.commit();
    rows.commit(tally);
  }

  private void committed(Agent agent, long version, RowChanges.Pending tally) {
    commits.committed(agent.id, version, System.nanoTime());
    rows.commit(tally);
  }

  private long updateSession(Connection c, Agent agent, String sql, RowChanges.Pending tally)
      throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      ps.setString(1, agent.snapshot());
      ps.setString(2, agent.status);
      ps.setObject(3, agent.id);
      ps.setObject(4, agent.project);
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          throw new SQLException("session " + agent.id + " is gone");
        }
        tally.add(Table.SESSIONS, sql.startsWith("INSERT") ? Op.INSERT : Op.UPDATE, 1);
        return rs.getLong(1);
      }
    }
  }

  private void insertTodo(Connection c, Agent agent, RowChanges.Pending tally)
      throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("INSERT INTO generation_todos"
        + " (session_id, position, content) VALUES (?, ?, ?) RETURNING id")) {
      ps.setObject(1, agent.id);
      ps.setInt(2, agent.todos.size());
      ps.setString(3, "step " + (agent.todos.size() + 1) + " of the plan");
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        agent.todos.add(rs.getObject(1, UUID.class));
        agent.todoStatus.add("pending");
      }
    }
    tally.add(Table.TODOS, Op.INSERT, 1);
  }

  private void advanceTodo(Connection c, Agent agent, RowChanges.Pending tally)
      throws SQLException {
    int i = agent.todoStatus.indexOf("in_progress");
    if (i < 0) {
      i = agent.todoStatus.indexOf("pending");
    }
    if (i < 0) {
      return;
    }
    String next = agent.todoStatus.get(i).equals("pending") ? "in_progress" : "completed";
    try (PreparedStatement ps = c.prepareStatement(
        "UPDATE generation_todos SET status = ?, updated_at = now() WHERE id = ?")) {
      ps.setString(1, next);
      ps.setObject(2, agent.todos.get(i));
      ps.executeUpdate();
    }
    agent.todoStatus.set(i, next);
    tally.add(Table.TODOS, Op.UPDATE, 1);
  }

  private UUID insertToolCall(Connection c, Agent agent, RowChanges.Pending tally)
      throws SQLException {
    String tool = TOOLS[ThreadLocalRandom.current().nextInt(TOOLS.length)];
    agent.lastTool = tool;
    agent.toolCalls++;
    try (PreparedStatement ps = c.prepareStatement("INSERT INTO generation_tool_calls"
        + " (session_id, tool_name, input) VALUES (?, ?, ?::jsonb) RETURNING id")) {
      ps.setObject(1, agent.id);
      ps.setString(2, tool);
      ps.setString(3, "{\"path\":\"src/file" + agent.toolCalls + ".ts\"}");
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        tally.add(Table.TOOL_CALLS, Op.INSERT, 1);
        return rs.getObject(1, UUID.class);
      }
    }
  }

  private void completeToolCall(Connection c, UUID call, RowChanges.Pending tally)
      throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("UPDATE generation_tool_calls SET output ="
        + " ?::jsonb, state = 'completed', ended_at = now() WHERE id = ?")) {
      ps.setString(1, "{\"ok\":true,\"bytes\":" + ThreadLocalRandom.current().nextInt(10_000)
          + "}");
      ps.setObject(2, call);
      ps.executeUpdate();
    }
    tally.add(Table.TOOL_CALLS, Op.UPDATE, 1);
  }

  private void insertNote(Connection c, Agent agent, RowChanges.Pending tally)
      throws SQLException {
    agent.notes++;
    try (PreparedStatement ps = c.prepareStatement(
        "INSERT INTO generation_notes (session_id, kind, body) VALUES (?, ?, ?)")) {
      ps.setObject(1, agent.id);
      ps.setString(2, agent.notes % 3 == 0 ? "decision" : "info");
      ps.setString(3, "note " + agent.notes + " after " + agent.lastTool);
      ps.executeUpdate();
    }
    tally.add(Table.NOTES, Op.INSERT, 1);
  }

  private static int deleteBySession(Connection c, String sql, UUID id) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      ps.setObject(1, id);
      return ps.executeUpdate();
    }
  }

  /**
   * One simulated agent's progress, as the runner keeps it in memory. Touched by one writer
   * task at a time (a session has at most one task queued), handed between writer threads by
   * the executor, which orders the hand-off.
   */
  private static final class Agent {
    final UUID id;
    final UUID project;
    final int plannedBursts;
    final List<UUID> todos = new ArrayList<>();
    final List<String> todoStatus = new ArrayList<>();
    boolean started;
    boolean deleteNext;
    boolean done;
    int burst;
    int toolCalls;
    int notes;
    String lastTool = "";
    String status = "running";

    Agent(UUID id, UUID project, int plannedBursts) {
      this.id = id;
      this.project = project;
      this.plannedBursts = plannedBursts;
    }

    /** The raw_state JSON snapshot the runner stores after every burst. */
    String snapshot() {
      ObjectNode s = JSON.createObjectNode();
      s.put("status", status);
      int progress = status.equals("running")
          ? Math.min(99, burst * 100 / plannedBursts) : 100;
      s.put("progress", progress);
      s.put("phase", status.equals("running") ? PHASES[Math.min(PHASES.length - 1,
          progress * PHASES.length / 100)] : "done");
      s.put("burst", burst);
      ObjectNode t = s.putObject("todos");
      t.put("total", todos.size());
      t.put("pending", count("pending"));
      t.put("inProgress", count("in_progress"));
      t.put("completed", count("completed"));
      ObjectNode calls = s.putObject("toolCalls");
      calls.put("total", toolCalls);
      calls.put("lastTool", lastTool);
      s.put("notes", notes);
      return s.toString();
    }

    private int count(String state) {
      int n = 0;
      for (String st : todoStatus) {
        if (st.equals(state)) {
          n++;
        }
      }
      return n;
    }
  }
}
