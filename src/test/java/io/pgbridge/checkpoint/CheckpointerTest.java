package io.pgbridge.checkpoint;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.pgbridge.BridgeState;
import io.pgbridge.coalesce.ChangeSources;
import io.pgbridge.coalesce.DebounceMode;
import io.pgbridge.coalesce.SessionCoalescer;
import io.pgbridge.metrics.BridgeMetrics;
import io.pgbridge.time.Backoff;
import io.pgbridge.time.ManualTicker;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Checkpoint rounds run once per {@code checkpoint.interval.ms} of ticker time, never back to
 * back (each round is a NOTIFY transaction that serialises with the writers), only while the
 * instance leads with its catch-up done, and at once when asked (shutdown). The store answers
 * the barrier at once, so a round completes inside {@link Checkpointer#tick()}; time is a
 * manual ticker, nothing sleeps on the wall clock.
 */
class CheckpointerTest {

  private final ManualTicker ticker = new ManualTicker();
  private final BridgeState state = new BridgeState();
  private final SessionCoalescer coalescer = new SessionCoalescer(ticker, DebounceMode.TRAILING, 0, 0,
      new Backoff(1, 1, () -> 0));
  private final List<String> barriers = new ArrayList<>();
  private final List<String> stored = new ArrayList<>();
  private Checkpointer checkpointer;

  @BeforeEach
  void leaderCaughtUp() {
    ChangeSources sources = new ChangeSources(List.of("generation_sessions"));
    checkpointer = new Checkpointer(new Checkpointer.Store() {
      @Override
      public CheckpointStore.Barrier beginBarrier(String id) {
        barriers.add(id);
        // the source receives the barrier once every earlier change was marked
        checkpointer.barrierArrived(id, coalescer.lastSeq());
        return new CheckpointStore.Barrier("100:" + (100 + barriers.size()) + ":",
            Instant.EPOCH);
      }

      @Override
      public void store(String snapshot) {
        stored.add(snapshot);
      }
    }, coalescer, state, new BridgeMetrics(new SimpleMeterRegistry(), "t", sources), ticker,
        "test", 1_000, (barrier, generation) -> { });
    state.connected(true);
    state.role(BridgeState.Role.LEADER);
    state.catchUpDone(state.newGeneration());
  }

  @Test
  void storesOneCheckpointPerIntervalWhileSessionsChange() throws Exception {
    int rounds = 0;
    // ten seconds of ticker time, the loop looking every 5 ms, sessions changing meanwhile
    for (int step = 0; step < 2_000; step++) {
      if (step % 10 == 0) {
        coalescer.mark(UUID.randomUUID(), 1L);
        coalescer.awaitDue(100, 0).forEach(s -> coalescer.complete(s.id(), true));
      }
      ticker.advance(Duration.ofMillis(5));
      if (checkpointer.tick()) {
        rounds++;
      }
    }
    assertThat(rounds).isEqualTo(10);
    assertThat(stored).hasSize(10);
  }

  @Test
  void storesNothingBeforeTheIntervalHasPassed() throws Exception {
    ticker.advance(Duration.ofMillis(999));
    assertThat(checkpointer.tick()).isFalse();
    ticker.advance(Duration.ofMillis(1));
    assertThat(checkpointer.tick()).isTrue();
    assertThat(checkpointer.tick()).as("not back to back").isFalse();
  }

  @Test
  void aRequestedRoundRunsAtOnce() throws Exception {
    checkpointer.requestNow();
    assertThat(checkpointer.tick()).isTrue();
    assertThat(stored).hasSize(1);
  }

  @Test
  void waitsForThePublishOfEveryChangeBeforeTheBarrier() throws Exception {
    UUID pending = UUID.randomUUID();
    coalescer.mark(pending, 1L);
    Thread round = new Thread(() -> {
      try {
        checkpointer.requestNow();
        checkpointer.tick();
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    });
    round.start();
    round.join(300);
    assertThat(stored).as("a change before the barrier is unpublished").isEmpty();
    coalescer.awaitDue(10, 0).forEach(s -> coalescer.complete(s.id(), true));
    round.join(5_000);
    assertThat(stored).hasSize(1);
  }

  @Test
  void noRoundWhileNotLeadingOrCatchingUp() throws Exception {
    state.role(BridgeState.Role.STANDBY);
    ticker.advance(Duration.ofSeconds(5));
    assertThat(checkpointer.tick()).isFalse();
    state.role(BridgeState.Role.LEADER);
    state.newGeneration(); // a reconnect: its catch-up is not done
    ticker.advance(Duration.ofSeconds(5));
    assertThat(checkpointer.tick()).isFalse();
    assertThat(barriers).isEmpty();
  }
}
