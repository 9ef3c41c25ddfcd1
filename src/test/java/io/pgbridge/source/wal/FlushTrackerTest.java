package io.pgbridge.source.wal;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgbridge.time.Ticker;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class FlushTrackerTest {

  private final AtomicLong now = new AtomicLong(1_000_000_000L);
  private final Ticker ticker = now::get;
  private final FlushTracker tracker = new FlushTracker(ticker, 1000);

  @BeforeEach
  void start() {
    tracker.reset(100);
  }

  private void advanceMs(long ms) {
    now.addAndGet(TimeUnit.MILLISECONDS.toNanos(ms));
  }

  @Test
  void aTransactionIsConfirmedOnlyOnceItsLastMarkIsBelowTheLowWatermark() {
    FlushTracker.Entry t = tracker.committed(200);
    assertThat(tracker.advance(1, 200, false)).as("not applied yet").isEqualTo(100);
    tracker.applied(t, 5);
    assertThat(tracker.advance(5, 200, false)).as("mark 5 unpublished").isEqualTo(100);
    assertThat(tracker.advance(6, 200, false)).isEqualTo(200);
    assertThat(tracker.pending()).isZero();
  }

  @Test
  void aLaterPublishedTransactionWaitsForAnEarlierUnpublishedOne() {
    FlushTracker.Entry first = tracker.committed(200);
    FlushTracker.Entry second = tracker.committed(300);
    tracker.applied(first, 9);
    tracker.applied(second, 3);
    // the watermark is held by mark 9 (a session of the first transaction still in flight)
    assertThat(tracker.advance(4, 300, false)).isEqualTo(100);
    assertThat(tracker.advance(10, 300, false)).isEqualTo(300);
  }

  @Test
  void confirmsThePublishedPrefixOfSeveralTransactions() {
    FlushTracker.Entry a = tracker.committed(200);
    FlushTracker.Entry b = tracker.committed(300);
    FlushTracker.Entry c = tracker.committed(400);
    tracker.applied(a, 1);
    tracker.applied(b, 2);
    tracker.applied(c, 3);
    assertThat(tracker.advance(3, 400, false)).isEqualTo(300);
    assertThat(tracker.pending()).isEqualTo(1);
  }

  @Test
  void aTransactionWithoutMarksIsConfirmedAtOnceInOrder() {
    FlushTracker.Entry a = tracker.committed(200);
    tracker.applied(a, FlushTracker.NO_MARKS);
    assertThat(tracker.advance(1, 200, false)).isEqualTo(200);
  }

  @Test
  void withNothingPendingTheReceivedPositionIsConfirmed() {
    assertThat(tracker.advance(1, 500, false)).as("keepalive past unrelated WAL").isEqualTo(500);
    FlushTracker.Entry a = tracker.committed(600);
    assertThat(tracker.advance(1, 700, false)).as("a transaction waits").isEqualTo(500);
    tracker.applied(a, 2);
    assertThat(tracker.advance(3, 700, false)).isEqualTo(700);
  }

  @Test
  void aHalfReceivedTransactionHoldsTheReceivedPositionBack() {
    assertThat(tracker.advance(1, 900, true)).isEqualTo(100);
  }

  @Test
  void neverMovesBack() {
    tracker.advance(1, 500, false);
    assertThat(tracker.advance(1, 300, false)).isEqualTo(500);
    FlushTracker.Entry a = tracker.committed(400);
    tracker.applied(a, FlushTracker.NO_MARKS);
    assertThat(tracker.advance(1, 400, false)).isEqualTo(500);
  }

  @Test
  void aDrainedTransactionIsNeverConfirmed() {
    FlushTracker.Entry a = tracker.committed(200);
    tracker.applied(a, FlushTracker.NEVER);
    assertThat(tracker.advance(Long.MAX_VALUE - 1, 900, false)).isEqualTo(100);
  }

  @Test
  void aNewConnectionForgetsWhatThePreviousOneReceived() {
    tracker.committed(200);
    tracker.reset(150);
    assertThat(tracker.pending()).isZero();
    assertThat(tracker.advance(1, 0, false)).isEqualTo(150);
  }

  @Test
  void statusUpdatesGoAtOnceThenAtMostOncePerInterval() {
    assertThat(tracker.statusDue()).as("first on a connection").isTrue();
    tracker.statusSent();
    advanceMs(999);
    assertThat(tracker.statusDue()).isFalse();
    advanceMs(1);
    assertThat(tracker.statusDue()).isTrue();
    tracker.statusSent();
    assertThat(tracker.statusDue()).isFalse();
    tracker.reset(100);
    assertThat(tracker.statusDue()).isTrue();
  }

  @Test
  void theOwedAgeCountsFromWhenProgressWasFirstOwedAndIsZeroWhenNothingIs() {
    tracker.advance(1, 100, false);
    assertThat(tracker.owedSeconds()).isZero();
    FlushTracker.Entry a = tracker.committed(200);
    tracker.applied(a, 7);
    advanceMs(500);
    tracker.advance(1, 200, false);
    advanceMs(2000);
    tracker.advance(1, 200, false);
    assertThat(tracker.owedSeconds()).isEqualTo(2.0);
    tracker.advance(8, 200, false);
    assertThat(tracker.owedSeconds()).isZero();
  }
}
