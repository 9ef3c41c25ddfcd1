package io.pgbridge.source;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.pgbridge.BridgeState;
import io.pgbridge.coalesce.ChangeSources;
import io.pgbridge.coalesce.Completion;
import io.pgbridge.coalesce.DebounceMode;
import io.pgbridge.coalesce.DueSession;
import io.pgbridge.coalesce.SessionCoalescer;
import io.pgbridge.metrics.BridgeMetrics;
import io.pgbridge.time.Backoff;
import io.pgbridge.time.Ticker;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The runner's sequencing over a scripted source and recovery (pure logic: no database): when
 * recovered() is called, what stops the bridge and what is retried, and the backlog bound.
 */
@Timeout(30)
class SourceRunnerTest {

  private final ChangeSources sources = new ChangeSources(List.of("generation_sessions"));
  private final BridgeMetrics metrics =
      new BridgeMetrics(new SimpleMeterRegistry(), "t", sources);
  private final SessionCoalescer coalescer = new SessionCoalescer(Ticker.SYSTEM,
      DebounceMode.TRAILING, 0, 0, new Backoff(1, 1, () -> 0.5));
  private final BridgeState state = new BridgeState();
  private final AtomicReference<Exception> fatal = new AtomicReference<>();
  private SourceRunner runner;

  @AfterEach
  void stop() throws InterruptedException {
    if (runner != null) {
      runner.stop();
      runner.join(5_000);
    }
  }

  @Test
  void recoveredIsCalledOnceEverySessionTheRecoveryMarkedIsAcknowledged() throws Exception {
    UUID owed = UUID.randomUUID();
    ScriptedSource source = new ScriptedSource(Recovery.from("10:20:"));
    ScriptedRecovery recovery = new ScriptedRecovery(List.of(owed));
    start(source, recovery, 1_000);

    List<DueSession> due = awaitDue();
    assertThat(due).extracting(DueSession::id).containsExactly(owed);
    assertThat(state.caughtUp()).isTrue();
    Thread.sleep(50);
    assertThat(source.recovered).as("not before the owed session is acknowledged").isEmpty();

    coalescer.complete(owed, Completion.PUBLISHED);
    await(() -> !source.recovered.isEmpty());
    assertThat(source.recovered).containsExactly(Recovery.from("10:20:"));
    assertThat(recovery.started).containsExactly(Recovery.from("10:20:"));
  }

  @Test
  void noRecoveryPageIsWalkedWhileTheBacklogIsAtItsBound() throws Exception {
    UUID busy = UUID.randomUUID();
    coalescer.mark(busy, ChangeSources.CATCHUP);
    ScriptedSource source = new ScriptedSource(Recovery.checkpoint());
    ScriptedRecovery recovery = new ScriptedRecovery(List.of(UUID.randomUUID()));
    start(source, recovery, 1);

    await(() -> source.polls.get() > 20);
    assertThat(recovery.steps.get()).isZero();
    assertThat(state.caughtUp()).isFalse();

    coalescer.pollDue(10).forEach(s -> coalescer.complete(s.id(), Completion.PUBLISHED));
    await(() -> recovery.steps.get() > 0);
  }

  @Test
  void anErrorRetryingCannotFixStopsTheBridge() throws Exception {
    ScriptedSource source = new ScriptedSource(Recovery.checkpoint());
    source.beginError = new SQLException("password authentication failed", "28P01");
    start(source, new ScriptedRecovery(List.of()), 1_000);

    await(() -> fatal.get() != null);
    assertThat(fatal.get()).isSameAs(source.beginError);
    runner.join(5_000);
    assertThat(runner.isAlive()).isFalse();
    assertThat(source.connects.get()).isEqualTo(1);
  }

  @Test
  void aLostConnectionIsRetriedAndCountedAsAReconnect() throws Exception {
    ScriptedSource source = new ScriptedSource(Recovery.checkpoint());
    source.pollErrors.set(1);
    start(source, new ScriptedRecovery(List.of()), 1_000);

    await(() -> source.connects.get() >= 2 && state.caughtUp());
    assertThat(fatal.get()).isNull();
    assertThat(metrics.reconnects().count()).isEqualTo(1.0);
    assertThat(state.generation()).isEqualTo(2);
  }

  private void start(ChangeSource source, RecoveryPasses recovery, long backlogLimit) {
    runner = new SourceRunner(source, new SourceRunner.Wiring(() -> { }, null, recovery,
        coalescer, state, metrics, new Backoff(1, 5, () -> 0.5), Ticker.SYSTEM, 10,
        backlogLimit, fatal::set, () -> { }), "test");
    runner.start();
  }

  private List<DueSession> awaitDue() throws InterruptedException {
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (System.nanoTime() < end) {
      List<DueSession> due = coalescer.pollDue(10);
      if (!due.isEmpty()) {
        return due;
      }
      Thread.sleep(5);
    }
    return List.of();
  }

  private static void await(BooleanSupplier condition) throws InterruptedException {
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!condition.getAsBoolean()) {
      assertThat(System.nanoTime()).as("condition within 10 s").isLessThan(end);
      Thread.sleep(5);
    }
  }

  private static Connection fakeConnection() {
    return (Connection) Proxy.newProxyInstance(SourceRunnerTest.class.getClassLoader(),
        new Class<?>[] {Connection.class}, (proxy, method, args) -> {
          if (method.getName().equals("close")) {
            return null;
          }
          throw new UnsupportedOperationException(method.getName());
        });
  }

  /** A source whose stream is empty; it records what the runner calls. */
  private static final class ScriptedSource implements ChangeSource {
    final Recovery recovery;
    final AtomicInteger connects = new AtomicInteger();
    final AtomicInteger polls = new AtomicInteger();
    final AtomicInteger pollErrors = new AtomicInteger();
    final List<Recovery> recovered = new CopyOnWriteArrayList<>();
    volatile SQLException beginError;

    ScriptedSource(Recovery recovery) {
      this.recovery = recovery;
    }

    @Override
    public String name() {
      return "scripted";
    }

    @Override
    public Connection connect() {
      connects.incrementAndGet();
      return fakeConnection();
    }

    @Override
    public Recovery begin(Connection conn) throws SQLException {
      if (beginError != null) {
        throw beginError;
      }
      return recovery;
    }

    @Override
    public void poll(long timeoutMs) throws SQLException, InterruptedException {
      polls.incrementAndGet();
      if (pollErrors.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
        throw new SQLException("An I/O error occurred while sending to the backend.", "08006");
      }
      Thread.sleep(Math.min(timeoutMs, 2));
    }

    @Override
    public void probe() {}

    @Override
    public void recovered(Recovery done) {
      recovered.add(done);
    }

    @Override
    public void drain() {}

    @Override
    public void abort() {}

    @Override
    public Map<String, Object> status() {
      return Map.of();
    }
  }

  /** A recovery of one page that marks the given sessions. */
  private final class ScriptedRecovery implements RecoveryPasses {
    final List<UUID> owed;
    final List<Recovery> started = new CopyOnWriteArrayList<>();
    final AtomicInteger steps = new AtomicInteger();
    volatile boolean walked;

    ScriptedRecovery(List<UUID> owed) {
      this.owed = owed;
    }

    @Override
    public void prepare() {}

    @Override
    public void start(Recovery recovery, boolean settle) {
      started.add(recovery);
      walked = owed.isEmpty();
    }

    @Override
    public boolean walking() {
      return !walked;
    }

    @Override
    public void step() {
      steps.incrementAndGet();
      owed.forEach(id -> coalescer.mark(id, ChangeSources.CATCHUP));
      walked = true;
    }

    @Override
    public void advance() {}

    @Override
    public boolean recoveryWalked() {
      return walked;
    }

    @Override
    public boolean settlePending() {
      return false;
    }
  }
}
