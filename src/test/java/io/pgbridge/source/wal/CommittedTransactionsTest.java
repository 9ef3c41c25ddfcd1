package io.pgbridge.source.wal;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgbridge.coalesce.ChangeSources;
import io.pgbridge.coalesce.ChangeSources.Op;
import io.pgbridge.coalesce.Completion;
import io.pgbridge.coalesce.DebounceMode;
import io.pgbridge.coalesce.DueSession;
import io.pgbridge.coalesce.SessionCoalescer;
import io.pgbridge.source.wal.ChangeRouter.Mark;
import io.pgbridge.time.Backoff;
import io.pgbridge.time.ManualTicker;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class CommittedTransactionsTest {

  private static final UUID A = UUID.fromString("00000000-0000-4000-8000-00000000000a");
  private static final UUID B = UUID.fromString("00000000-0000-4000-8000-00000000000b");

  private final ManualTicker ticker = new ManualTicker(1_000_000_000L);
  private final SessionCoalescer coalescer = new SessionCoalescer(ticker, DebounceMode.LEADING,
      0, 0, new Backoff(10, 100, () -> 0.5));
  private final FlushTracker tracker = new FlushTracker(ticker, 1000);
  private final List<String> barriers = new ArrayList<>();
  private final List<Long> barrierSeqs = new ArrayList<>();
  /** What pg_current_snapshot() answers; each query is counted. */
  private String snapshot = "100:100:";
  private int snapshotQueries;
  private final List<UUID> deletionLog = new ArrayList<>();
  private final List<String> walkedSince = new ArrayList<>();
  private final List<String> unroutable = new ArrayList<>();

  private final CommittedTransactions txns = new CommittedTransactions(coalescer,
      (id, seq) -> {
        barriers.add(id);
        barrierSeqs.add(seq);
      },
      () -> {
        snapshotQueries++;
        return snapshot;
      },
      new CommittedTransactions.DeletionLog() {
        @Override
        public String since() {
          walkedSince.add("checkpoint");
          return "90:90:";
        }

        @Override
        public List<UUID> page(String since, UUID after, int limit) {
          return deletionLog.stream().filter(id -> after == null || id.compareTo(after) > 0)
              .sorted().limit(limit).toList();
        }
      }, tracker, (table, op, why) -> unroutable.add(table), ticker, 2);

  {
    tracker.reset(10);
  }

  private CommittedTransactions.Txn txn(int xid, UUID... sessions) {
    CommittedTransactions.Txn t = txns.begin(xid);
    for (UUID id : sessions) {
      t.mark(new Mark(id, 0, Op.UPDATE));
    }
    return t;
  }

  private List<UUID> due() {
    return coalescer.pollDue(1000).stream().map(DueSession::id).toList();
  }

  @Test
  void aTransactionIsMarkedOnlyOnceItsXidIsVisible() throws Exception {
    txns.commit(txn(100, A), 200);
    snapshot = "100:101:100"; // committed to the WAL, still in the ProcArray
    assertThat(txns.apply()).isFalse();
    assertThat(coalescer.lastSeq()).isZero();
    ticker.advanceMillis(1);
    snapshot = "101:101:";
    assertThat(txns.apply()).isTrue();
    assertThat(due()).containsExactly(A);
    assertThat(txns.waiting()).isZero();
  }

  @Test
  void checksBackOffOneTwoFiveThenTenMillisecondsWhileTheOldestIsInvisible() throws Exception {
    txns.commit(txn(100, A), 200);
    snapshot = "100:101:100";
    txns.apply();
    assertThat(snapshotQueries).isEqualTo(1);
    long[] expected = {1, 2, 5, 10, 10};
    for (int i = 0; i < expected.length; i++) {
      ticker.advanceMillis(expected[i] - 1);
      txns.apply();
      assertThat(snapshotQueries).as("not before %d ms", expected[i]).isEqualTo(1 + i);
      ticker.advanceMillis(1);
      txns.apply();
      assertThat(snapshotQueries).as("after %d ms", expected[i]).isEqualTo(2 + i);
    }
    snapshot = "101:101:";
    ticker.advanceMillis(10);
    assertThat(txns.apply()).isTrue();
    assertThat(due()).containsExactly(A);
  }

  @Test
  void oneSnapshotAnswersForEveryWaitingTransactionAndNothingIsQueriedWithoutChanges()
      throws Exception {
    txns.commit(txns.begin(99), 150); // no changes of ours: no visibility needed
    assertThat(txns.apply()).isTrue();
    assertThat(snapshotQueries).isZero();
    txns.commit(txn(100, A), 200);
    txns.commit(txn(101, B), 300);
    snapshot = "102:102:";
    txns.apply();
    assertThat(snapshotQueries).isEqualTo(1);
    assertThat(due()).containsExactly(A, B);
    txns.apply();
    assertThat(snapshotQueries).as("nothing waits").isEqualTo(1);
  }

  @Test
  void transactionsAreMarkedInCommitOrderEvenWhenALaterOneIsVisibleFirst() throws Exception {
    txns.commit(txn(105, A), 200);
    txns.commit(txn(104, B), 300);
    snapshot = "105:106:105";
    txns.apply();
    assertThat(coalescer.lastSeq()).as("B waits behind A").isZero();
    ticker.advanceMillis(1);
    snapshot = "106:106:";
    txns.apply();
    assertThat(due()).containsExactly(A, B);
  }

  @Test
  void aBarrierArrivesWithTheSequenceOfTheMarksBeforeIt() throws Exception {
    txns.commit(txn(100, A, B), 200);
    CommittedTransactions.Txn barrier = txns.begin(101);
    barrier.barrier("me/1");
    txns.commit(barrier, 300);
    snapshot = "102:102:";
    txns.apply();
    assertThat(barriers).containsExactly("me/1");
    assertThat(barrierSeqs).containsExactly(2L);
  }

  @Test
  void eachSessionIsMarkedOncePerTransactionWithEverySourceItHad() throws Exception {
    CommittedTransactions.Txn t = txns.begin(100);
    t.mark(new Mark(A, 0, Op.INSERT));
    t.mark(new Mark(A, 1, Op.INSERT));
    t.mark(new Mark(A, 0, Op.UPDATE));
    txns.commit(t, 200);
    assertThat(txns.queuedMarks()).isEqualTo(1);
    snapshot = "101:101:";
    txns.apply();
    assertThat(coalescer.lastSeq()).isEqualTo(1);
    DueSession d = coalescer.pollDue(10).get(0);
    assertThat(d.sources()).isEqualTo(ChangeSources.bit(0, Op.INSERT)
        | ChangeSources.bit(1, Op.INSERT) | ChangeSources.bit(0, Op.UPDATE));
    assertThat(txns.queuedMarks()).isZero();
  }

  @Test
  void theFlushTrackerLearnsEachTransactionsLastMark() throws Exception {
    txns.commit(txn(100, A, B), 200);
    snapshot = "101:101:";
    txns.apply();
    assertThat(tracker.advance(coalescer.lowWatermark(), 200, false)).isEqualTo(10);
    due();
    coalescer.complete(A, Completion.PUBLISHED);
    assertThat(tracker.advance(coalescer.lowWatermark(), 200, false)).isEqualTo(10);
    coalescer.complete(B, Completion.PUBLISHED);
    assertThat(tracker.advance(coalescer.lowWatermark(), 200, false)).isEqualTo(200);
  }

  @Test
  void aTruncateWalksTheDeletionLogPageByPageAndLaterTransactionsWait() throws Exception {
    UUID c = UUID.fromString("00000000-0000-4000-8000-00000000000c");
    deletionLog.addAll(List.of(A, B, c));
    CommittedTransactions.Txn t = txns.begin(100);
    t.truncate();
    t.truncate(); // the pgoutput TRUNCATE and the trigger's message: one walk
    txns.commit(t, 200);
    CommittedTransactions.Txn later = txn(101, A);
    later.barrier("me/2");
    txns.commit(later, 300);
    snapshot = "102:102:";
    txns.apply();
    assertThat(walkedSince).containsExactly("checkpoint");
    assertThat(coalescer.lastSeq()).as("one page of two").isEqualTo(2);
    assertThat(barriers).isEmpty();
    txns.apply();
    assertThat(coalescer.lastSeq()).isEqualTo(4); // the last page (c), then the later txn's A
    assertThat(barriers).containsExactly("me/2");
    assertThat(walkedSince).hasSize(1);
    List<DueSession> due = coalescer.pollDue(10);
    assertThat(due).extracting(DueSession::id).containsExactlyInAnyOrder(A, B, c);
    assertThat(due).allSatisfy(d -> assertThat(d.sources() & ChangeSources.bit(0, Op.DELETE))
        .isNotZero());
  }

  @Test
  void whileDrainingNothingIsMarkedBarriersArriveAndTheTransactionIsNeverConfirmed()
      throws Exception {
    txns.drain();
    CommittedTransactions.Txn t = txn(100, A);
    t.truncate();
    t.barrier("last/1");
    txns.commit(t, 200);
    txns.apply();
    assertThat(coalescer.lastSeq()).isZero();
    assertThat(barriers).containsExactly("last/1");
    assertThat(tracker.advance(coalescer.lowWatermark(), 900, false)).isEqualTo(10);
  }

  @Test
  void aNewConnectionForgetsWhatWasReceived() throws Exception {
    txns.commit(txn(100, A), 200);
    txns.clear();
    assertThat(txns.waiting()).isZero();
    assertThat(txns.queuedMarks()).isZero();
    txns.apply();
    assertThat(snapshotQueries).isZero();
  }
}
