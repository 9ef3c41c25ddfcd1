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

  @Test
  void aMillionTransactionsWithNothingAcknowledgedStayWithinTheBoundAndConfirmExactly() {
    int n = 1_000_000;
    FlushTracker.Entry[] all = new FlushTracker.Entry[n];
    long lsn = 100;
    for (int i = 0; i < n; i++) {
      lsn += 10;
      all[i] = tracker.committed(lsn);
      // the visibility wait lags behind the commits a little
      if (i >= 5) {
        tracker.applied(all[i - 5], i - 4);
      }
      assertThat(tracker.advance(1, lsn, false)).isEqualTo(100);
    }
    assertThat(tracker.pending()).isLessThanOrEqualTo(FlushTracker.MAX_ENTRIES);
    assertThat(tracker.pendingTransactions()).isEqualTo(n);
    for (int i = n - 5; i < n; i++) {
      tracker.applied(all[i], i + 1);
    }
    // Kafka acknowledged marks up to 1234: exactly the transactions 0..1233 may be confirmed
    long partial = tracker.advance(1235, lsn, false);
    assertThat(partial).isEqualTo(100 + 10L * 1234);
    // with the merged tail, the confirmation lags but never passes an unpublished mark
    long late = tracker.advance(n - 10, lsn, false);
    assertThat(late).isLessThanOrEqualTo(100 + 10L * (n - 11)).isGreaterThan(partial);
    assertThat(tracker.advance(n + 1, lsn, false)).isEqualTo(lsn);
    assertThat(tracker.pending()).isZero();
    assertThat(tracker.pendingTransactions()).isZero();
  }

  @Test
  void aMergedEntryWaitsForEveryTransactionInIt() {
    FlushTracker small = new FlushTracker(ticker, 1000, 2);
    small.reset(100);
    FlushTracker.Entry a = small.committed(200);
    FlushTracker.Entry b = small.committed(300);
    FlushTracker.Entry c = small.committed(400);
    FlushTracker.Entry d = small.committed(500);
    assertThat(small.pending()).isEqualTo(2);
    small.applied(a, 1);
    small.applied(c, 3);
    small.applied(d, 4);
    assertThat(small.advance(10, 500, false)).as("b is not applied").isEqualTo(200);
    small.applied(b, 2);
    assertThat(small.advance(4, 500, false)).as("mark 4 of d unpublished").isEqualTo(200);
    assertThat(small.advance(5, 500, false)).isEqualTo(500);
  }
}
