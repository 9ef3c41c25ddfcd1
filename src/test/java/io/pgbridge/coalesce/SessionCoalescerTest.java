package io.pgbridge.coalesce;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgbridge.coalesce.ChangeSources.Op;
import io.pgbridge.time.Backoff;
import io.pgbridge.time.ManualTicker;
import io.pgbridge.time.Ticker;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class SessionCoalescerTest {

    private static final UUID A = UUID.fromString("00000000-0000-0000-0000-00000000000a");
    private static final UUID B = UUID.fromString("00000000-0000-0000-0000-00000000000b");
    private static final UUID C = UUID.fromString("00000000-0000-0000-0000-00000000000c");
    private static final long TODO_INSERT = ChangeSources.bit(1, Op.INSERT);
    private static final long TOOL_UPDATE = ChangeSources.bit(2, Op.UPDATE);
    private static final long SESSION_UPDATE = ChangeSources.bit(0, Op.UPDATE);
    private static final long HOUR = TimeUnit.HOURS.toNanos(1);

    private final ManualTicker ticker = new ManualTicker();
    /** Always the ceiling of the jitter range: 200 ms, 400 ms, 800 ms, ... capped at 5 s. */
    private final Backoff retry = new Backoff(200, 5_000, () -> 1.0);

    /** Trailing mode, as most behaviour below (single flight, retries, watermark) is shared. */
    private SessionCoalescer coalescer(long windowMs, long ceilingMs) {
        return new SessionCoalescer(ticker, DebounceMode.TRAILING, windowMs, ceilingMs, retry);
    }

    private SessionCoalescer leading(long windowMs, long ceilingMs) {
        return new SessionCoalescer(ticker, DebounceMode.LEADING, windowMs, ceilingMs, retry);
    }

    /** Moves the ticker to {@code ms} after its start (tests here start at 0). */
    private void at(long ms) {
        ticker.advance(Duration.ofNanos(TimeUnit.MILLISECONDS.toNanos(ms) - ticker.nanos()));
    }

    private static List<UUID> ids(List<DueSession> due) {
        return due.stream().map(DueSession::id).toList();
    }

    // ---- trailing window and ceiling ----

    @Test
    void sessionMarkedOnceIsNotDueBeforeWindowAndDueAtWindow() {
        SessionCoalescer c = coalescer(100, 1000);
        c.mark(A, SESSION_UPDATE);
        assertThat(c.pollDue(10)).isEmpty();
        ticker.advance(Duration.ofMillis(100).minusNanos(1));
        assertThat(c.pollDue(10)).isEmpty();
        ticker.advance(Duration.ofNanos(1));
        assertThat(ids(c.pollDue(10))).containsExactly(A);
    }

    @Test
    void everyMarkRestartsTheTrailingWindow() {
        SessionCoalescer c = coalescer(100, 1000);
        c.mark(A, SESSION_UPDATE);
        at(50);
        c.mark(A, SESSION_UPDATE);
        at(100);
        assertThat(c.pollDue(10)).as("window restarted at 50").isEmpty();
        c.mark(A, SESSION_UPDATE);
        at(199);
        assertThat(c.pollDue(10)).isEmpty();
        at(200);
        List<DueSession> due = c.pollDue(10);
        assertThat(ids(due)).containsExactly(A);
        assertThat(due.get(0).firstReceivedNanos()).as("oldest change covered").isZero();
    }

    @Test
    void publishesAtCeilingUnderConstantWrites() {
        SessionCoalescer c = coalescer(100, 1000);
        for (long t = 0; t < 1000; t += 50) {
            at(t);
            assertThat(c.pollDue(10)).as("not due at %d ms", t).isEmpty();
            c.mark(A, SESSION_UPDATE);
        }
        at(999);
        assertThat(c.pollDue(10)).isEmpty();
        at(1000);
        List<DueSession> due = c.pollDue(10);
        assertThat(ids(due)).containsExactly(A);
        assertThat(due.get(0).firstReceivedNanos()).isZero();
    }

    @Test
    void ceilingCountsFromTheFirstChangeNotYetTaken() {
        SessionCoalescer c = coalescer(100, 1000);
        for (long t = 0; t <= 1000; t += 50) {
            at(t);
            c.mark(A, SESSION_UPDATE);
        }
        assertThat(ids(c.pollDue(10))).containsExactly(A);
        at(1010);
        c.complete(A, true);
        for (long t = 1050; t < 2050; t += 50) {
            at(t);
            assertThat(c.pollDue(10)).as("not due at %d ms", t).isEmpty();
            c.mark(A, SESSION_UPDATE);
        }
        at(2049);
        assertThat(c.pollDue(10)).isEmpty();
        at(2050);
        List<DueSession> due = c.pollDue(10);
        assertThat(ids(due)).containsExactly(A);
        assertThat(due.get(0).firstReceivedNanos()).isEqualTo(TimeUnit.MILLISECONDS.toNanos(1050));
    }

    @Test
    void zeroDebounceIsDueImmediately() {
        SessionCoalescer c = coalescer(0, 0);
        c.mark(A, SESSION_UPDATE);
        assertThat(ids(c.pollDue(10))).containsExactly(A);
    }

    @Test
    void zeroDebounceWithCeilingIsStillDueImmediately() {
        SessionCoalescer c = coalescer(0, 1000);
        c.mark(A, SESSION_UPDATE);
        c.mark(A, SESSION_UPDATE);
        assertThat(ids(c.pollDue(10))).containsExactly(A);
    }

    @Test
    void measuresWindowAndCeilingAcrossTickerOverflow() {
        // System.nanoTime() has an arbitrary origin: only differences are meaningful.
        ManualTicker wrapping = new ManualTicker(Long.MAX_VALUE - TimeUnit.MILLISECONDS.toNanos(500));
        SessionCoalescer c = new SessionCoalescer(wrapping, DebounceMode.TRAILING, 100, 1000, retry);
        c.mark(A, SESSION_UPDATE);
        wrapping.advanceMillis(50);
        c.mark(A, SESSION_UPDATE);
        wrapping.advanceMillis(99);
        assertThat(c.pollDue(10)).isEmpty();
        wrapping.advanceMillis(1);
        assertThat(ids(c.pollDue(10))).as("due one window after the last mark").containsExactly(A);
    }

    @Test
    void ceilingIsMeasuredAcrossTickerOverflow() {
        ManualTicker wrapping = new ManualTicker(Long.MAX_VALUE - TimeUnit.MILLISECONDS.toNanos(500));
        SessionCoalescer c = new SessionCoalescer(wrapping, DebounceMode.TRAILING, 100, 1000, retry);
        for (int i = 0; i < 20; i++) {
            c.mark(A, SESSION_UPDATE);
            assertThat(c.pollDue(10)).isEmpty();
            wrapping.advanceMillis(50);
        }
        assertThat(ids(c.pollDue(10))).containsExactly(A);
    }

    @Test
    void rejectsNegativeWindowAndCeilingBelowWindow() {
        assertThatThrownBy(() -> coalescer(-1, 100)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> coalescer(100, 99)).isInstanceOf(IllegalArgumentException.class);
    }

    // ---- leading edge ----

    @Test
    void leadingChangeOfAQuietSessionIsDueAtOnce() {
        SessionCoalescer c = leading(100, 1000);
        c.mark(A, SESSION_UPDATE);
        List<DueSession> due = c.pollDue(10);
        assertThat(ids(due)).as("no window open: no wait").containsExactly(A);
        assertThat(due.get(0).firstReceivedNanos()).isZero();
    }

    @Test
    void leadingChangesInsideTheWindowMergeIntoOneRecordAtItsEnd() {
        SessionCoalescer c = leading(100, 1000);
        c.mark(A, SESSION_UPDATE);
        at(2);
        assertThat(ids(c.pollDue(10))).containsExactly(A); // the window opens at the take: 2 ms
        at(5);
        c.complete(A, Completion.PUBLISHED);
        at(20);
        c.mark(A, TODO_INSERT);
        at(60);
        c.mark(A, SESSION_UPDATE);
        at(101);
        assertThat(c.pollDue(10)).as("window open until 102 ms").isEmpty();
        at(102);
        List<DueSession> due = c.pollDue(10);
        assertThat(ids(due)).containsExactly(A);
        assertThat(due.get(0).sources()).isEqualTo(TODO_INSERT | SESSION_UPDATE);
        assertThat(due.get(0).firstReceivedNanos()).isEqualTo(TimeUnit.MILLISECONDS.toNanos(20));
    }

    @Test
    void leadingRefreshOfASessionWhoseVersionWasUnknownOpensNoWindow() {
        // the first record after a start repeats what the topic may hold; the change that
        // follows it at once must not wait for a window
        SessionCoalescer c = leading(100, 1000);
        c.mark(A, TODO_INSERT);
        c.pollDue(10);
        at(1);
        c.mark(A, SESSION_UPDATE);
        at(2);
        c.complete(A, Completion.REFRESHED);
        assertThat(ids(c.pollDue(10))).containsExactly(A);
        at(3);
        c.complete(A, Completion.PUBLISHED);
        at(4);
        c.mark(A, SESSION_UPDATE);
        assertThat(c.pollDue(10)).as("a record after a known version opens the window").isEmpty();
        assertThat(c.lowWatermark()).isEqualTo(3);
    }

    @Test
    void leadingChangeAfterTheWindowEndedIsDueAtOnceAgain() {
        SessionCoalescer c = leading(100, 1000);
        c.mark(A, SESSION_UPDATE);
        c.pollDue(10);
        at(3);
        c.complete(A, Completion.PUBLISHED);
        at(100);
        c.mark(A, SESSION_UPDATE);
        assertThat(ids(c.pollDue(10))).as("the window [0, 100) has ended").containsExactly(A);
    }

    @Test
    void leadingHotSessionPublishesOncePerWindow() {
        SessionCoalescer c = leading(100, 1000);
        List<Long> takes = new ArrayList<>();
        for (long t = 0; t < 1000; t += 10) {
            at(t);
            c.mark(A, SESSION_UPDATE);
            for (DueSession s : c.pollDue(10)) {
                takes.add(TimeUnit.NANOSECONDS.toMillis(ticker.nanos()));
                at(t + 1);
                c.complete(s.id(), Completion.PUBLISHED);
            }
        }
        assertThat(takes).as("a change every 10 ms, a record every 100 ms")
                .containsExactly(0L, 100L, 200L, 300L, 400L, 500L, 600L, 700L, 800L, 900L);
    }

    @Test
    void leadingUnchangedFlightOpensNoWindow() {
        // a child-row notification fetched first finds the version unchanged: the raw_state
        // refresh right after it must not wait for a window nothing was published in
        SessionCoalescer c = leading(100, 1000);
        c.mark(A, TODO_INSERT);
        assertThat(ids(c.pollDue(10))).containsExactly(A);
        at(1);
        c.mark(A, SESSION_UPDATE);
        at(2);
        c.complete(A, Completion.UNCHANGED);
        List<DueSession> due = c.pollDue(10);
        assertThat(ids(due)).as("due at completion").containsExactly(A);
        assertThat(due.get(0).sources()).isEqualTo(SESSION_UPDATE);
    }

    @Test
    void leadingChangeDuringAPublishingFlightGoesAtTheWindowEndOrAtOnceIfItPassed() {
        SessionCoalescer c = leading(100, 1000);
        c.mark(A, SESSION_UPDATE);
        c.pollDue(10);
        at(10);
        c.mark(A, SESSION_UPDATE);
        at(20);
        c.complete(A, Completion.PUBLISHED);
        at(99);
        assertThat(c.pollDue(10)).isEmpty();
        at(100);
        assertThat(ids(c.pollDue(10))).containsExactly(A);
        at(150);
        c.mark(A, SESSION_UPDATE); // inside the window opened at the take at 100
        at(260); // a slow flight: its window (100-200) ended before it completed
        c.complete(A, Completion.PUBLISHED);
        assertThat(ids(c.pollDue(10))).containsExactly(A);
    }

    @Test
    void leadingWindowIsRememberedAfterTheEntryIsGoneAndForgottenOnceItEnds() {
        SessionCoalescer c = leading(100, 1000);
        c.mark(A, SESSION_UPDATE);
        c.pollDue(10);
        c.complete(A, Completion.PUBLISHED);
        assertThat(c.pendingCount()).as("nothing pending while only a window is open").isZero();
        assertThat(c.dirtyCount()).isZero();
        at(50);
        c.mark(A, SESSION_UPDATE);
        assertThat(c.pollDue(10)).isEmpty();
        at(100);
        assertThat(ids(c.pollDue(10))).containsExactly(A);
        c.complete(A, Completion.PUBLISHED);
        at(200);
        c.pollDue(10); // prunes ended windows
        c.mark(B, SESSION_UPDATE);
        c.mark(A, SESSION_UPDATE);
        assertThat(ids(c.pollDue(10))).containsExactlyInAnyOrder(A, B);
    }

    @Test
    void leadingWindowsAreBoundedBySessionsPublishedWithinOneWindow() {
        SessionCoalescer c = leading(100, 1000);
        for (int i = 0; i < 10_000; i++) {
            at(i / 100); // 100 sessions published per millisecond, from 0 to 99 ms
            c.mark(new UUID(1, i), SESSION_UPDATE);
            c.pollDue(10).forEach(s -> c.complete(s.id(), Completion.PUBLISHED));
        }
        assertThat(c.pendingCount()).isZero();
        at(150);
        assertThat(c.pollDue(10)).isEmpty();
        assertThat(c.openWindows()).as("windows of sessions published after 50 ms").isEqualTo(4_900);
        c.mark(new UUID(1, 9_999), SESSION_UPDATE);
        assertThat(c.pollDue(10)).as("published at 99 ms: window open until 199").isEmpty();
        at(199);
        assertThat(c.pollDue(10)).hasSize(1);
        at(1_000);
        c.pollDue(10);
        assertThat(c.openWindows()).isZero();
    }

    @Test
    void leadingZeroWindowIsDueAtOnceEvenRightAfterAPublish() {
        SessionCoalescer c = leading(0, 1000);
        c.mark(A, SESSION_UPDATE);
        c.pollDue(10);
        c.complete(A, Completion.PUBLISHED);
        c.mark(A, SESSION_UPDATE);
        assertThat(ids(c.pollDue(10))).containsExactly(A);
    }

    @Test
    void leadingFailedFlightIsRetriedAfterBackoffAndOpensNoWindow() {
        SessionCoalescer c = leading(100, 1000);
        c.mark(A, SESSION_UPDATE);
        c.pollDue(10);
        at(5);
        c.complete(A, Completion.FAILED);
        at(204);
        assertThat(c.pollDue(10)).isEmpty();
        at(205);
        assertThat(ids(c.pollDue(10))).containsExactly(A);
        at(206);
        c.complete(A, Completion.UNCHANGED);
        c.mark(A, SESSION_UPDATE);
        assertThat(ids(c.pollDue(10))).as("nothing was published: no window").containsExactly(A);
    }

    @Test
    void leadingWatermarkCoversMarksWaitingForTheWindowEnd() {
        SessionCoalescer c = leading(100, 1000);
        c.mark(A, SESSION_UPDATE); // 1
        c.pollDue(10);
        c.complete(A, Completion.PUBLISHED);
        assertThat(c.lowWatermark()).isEqualTo(2);
        at(10);
        c.mark(A, SESSION_UPDATE); // 2, waits for the window
        c.mark(B, SESSION_UPDATE); // 3, at once
        c.pollDue(10).forEach(s -> c.complete(s.id(), Completion.UNCHANGED));
        assertThat(c.lowWatermark()).as("A's change waits in the window, still owed").isEqualTo(2);
        at(100);
        assertThat(ids(c.pollDue(10))).containsExactly(A);
        assertThat(c.lowWatermark()).isEqualTo(2);
        c.complete(A, Completion.PUBLISHED);
        assertThat(c.lowWatermark()).isEqualTo(4);
    }

    @Test
    void leadingFlushMakesWindowedChangesDueNow() {
        SessionCoalescer c = leading(100, 1000);
        c.mark(A, SESSION_UPDATE);
        c.pollDue(10);
        c.complete(A, Completion.PUBLISHED);
        at(10);
        c.mark(A, SESSION_UPDATE);
        assertThat(c.pollDue(10)).isEmpty();
        c.flush();
        assertThat(ids(c.pollDue(10))).containsExactly(A);
    }

    @Test
    void trailingModeIgnoresUnchangedVersusPublished() {
        SessionCoalescer c = coalescer(100, 1000);
        c.mark(A, SESSION_UPDATE);
        at(100);
        c.pollDue(10);
        c.complete(A, Completion.PUBLISHED);
        c.mark(A, SESSION_UPDATE);
        at(199);
        assertThat(c.pollDue(10)).isEmpty();
        at(200);
        assertThat(ids(c.pollDue(10))).containsExactly(A);
    }

    // ---- single flight ----

    @Test
    void sessionInFlightIsNeverReturnedAgainUntilCompleted() {
        SessionCoalescer c = coalescer(0, 0);
        c.mark(A, SESSION_UPDATE);
        assertThat(ids(c.pollDue(10))).containsExactly(A);
        c.mark(A, TODO_INSERT);
        c.flush();
        ticker.advance(Duration.ofHours(1));
        assertThat(c.pollDue(10)).isEmpty();
        c.complete(A, true);
        List<DueSession> again = c.pollDue(10);
        assertThat(ids(again)).containsExactly(A);
        assertThat(again.get(0).sources()).as("only what arrived during the flight")
                .isEqualTo(TODO_INSERT);
    }

    @Test
    void changesDuringFlightGoOnceMoreAfterCompletionWithTheirOwnWindow() {
        SessionCoalescer c = coalescer(100, 1000);
        c.mark(A, SESSION_UPDATE);
        at(100);
        assertThat(ids(c.pollDue(10))).containsExactly(A);
        at(150);
        c.mark(A, TODO_INSERT);
        at(160);
        c.complete(A, true);
        assertThat(c.pendingCount()).isEqualTo(1);
        at(249);
        assertThat(c.pollDue(10)).isEmpty();
        at(250);
        List<DueSession> due = c.pollDue(10);
        assertThat(ids(due)).containsExactly(A);
        assertThat(due.get(0).firstReceivedNanos()).isEqualTo(TimeUnit.MILLISECONDS.toNanos(150));
        c.complete(A, true);
        assertThat(c.pendingCount()).isZero();
    }

    @Test
    void changeDuringFlightWhoseWindowPassedIsDueAtCompletion() {
        SessionCoalescer c = coalescer(100, 1000);
        c.mark(A, SESSION_UPDATE);
        at(100);
        c.pollDue(10);
        at(150);
        c.mark(A, SESSION_UPDATE);
        at(400);
        c.complete(A, true);
        assertThat(ids(c.pollDue(10))).containsExactly(A);
    }

    @Test
    void completedSessionWithoutNewChangesIsForgotten() {
        SessionCoalescer c = coalescer(0, 0);
        c.mark(A, SESSION_UPDATE);
        c.pollDue(10);
        c.complete(A, true);
        ticker.advance(Duration.ofHours(1));
        assertThat(c.pollDue(10)).isEmpty();
        assertThat(c.pendingCount()).isZero();
        assertThat(c.dirtyCount()).isZero();
        assertThat(c.inFlightCount()).isZero();
    }

    @Test
    void completeOfSessionNotInFlightThrows() {
        SessionCoalescer c = coalescer(100, 1000);
        assertThatThrownBy(() -> c.complete(A, true)).as("unknown")
                .isInstanceOf(IllegalStateException.class);
        c.mark(A, SESSION_UPDATE);
        assertThatThrownBy(() -> c.complete(A, true)).as("dirty, not taken")
                .isInstanceOf(IllegalStateException.class);
        at(100);
        c.pollDue(10);
        c.complete(A, true);
        assertThatThrownBy(() -> c.complete(A, false)).as("completed twice")
                .isInstanceOf(IllegalStateException.class);
        assertThat(c.inFlightCount()).isZero();
    }

    // ---- retries ----

    @Test
    void failedFlightIsRetriedAfterBackoff() {
        SessionCoalescer c = coalescer(100, 1000);
        c.mark(A, SESSION_UPDATE);
        at(100);
        assertThat(ids(c.pollDue(10))).containsExactly(A);
        at(110);
        c.complete(A, false);
        at(309);
        assertThat(c.pollDue(10)).as("first retry waits 200 ms").isEmpty();
        at(310);
        assertThat(ids(c.pollDue(10))).containsExactly(A);
        c.complete(A, false);
        at(709);
        assertThat(c.pollDue(10)).as("second retry waits 400 ms").isEmpty();
        at(710);
        assertThat(ids(c.pollDue(10))).containsExactly(A);
        c.complete(A, true);
        assertThat(c.pendingCount()).isZero();
    }

    @Test
    void successResetsTheRetryBackoff() {
        SessionCoalescer c = coalescer(0, 0);
        c.mark(A, SESSION_UPDATE);
        c.pollDue(10);
        c.complete(A, false);
        at(200);
        c.pollDue(10);
        c.complete(A, false);
        at(600);
        c.pollDue(10);
        c.complete(A, true);
        c.mark(A, SESSION_UPDATE);
        c.pollDue(10);
        c.complete(A, false);
        at(799);
        assertThat(c.pollDue(10)).as("backoff starts again at 200 ms").isEmpty();
        at(800);
        assertThat(ids(c.pollDue(10))).containsExactly(A);
    }

    @Test
    void failedFlightKeepsItsSourcesAndOldestReceiptMergedWithNewChanges() {
        SessionCoalescer c = coalescer(100, 1000);
        c.mark(A, SESSION_UPDATE);
        at(100);
        c.pollDue(10);
        at(150);
        c.mark(A, TODO_INSERT);
        at(160);
        c.complete(A, false);
        at(360);
        List<DueSession> due = c.pollDue(10);
        assertThat(ids(due)).containsExactly(A);
        assertThat(due.get(0).sources()).isEqualTo(SESSION_UPDATE | TODO_INSERT);
        assertThat(due.get(0).firstReceivedNanos()).isZero();
    }

    @Test
    void failedFlightWithoutNewChangesKeepsItsSources() {
        SessionCoalescer c = coalescer(100, 1000);
        c.mark(A, SESSION_UPDATE | ChangeSources.CATCHUP);
        at(100);
        c.pollDue(10);
        c.complete(A, false);
        at(300);
        List<DueSession> due = c.pollDue(10);
        assertThat(ids(due)).containsExactly(A);
        assertThat(due.get(0).sources()).isEqualTo(SESSION_UPDATE | ChangeSources.CATCHUP);
        assertThat(due.get(0).firstReceivedNanos()).isZero();
    }

    @Test
    void newChangesDoNotShortenTheRetryBackoff() {
        SessionCoalescer c = coalescer(0, 0);
        c.mark(A, SESSION_UPDATE);
        c.pollDue(10);
        c.complete(A, false);
        for (long t = 10; t < 200; t += 10) {
            at(t);
            c.mark(A, TODO_INSERT);
            assertThat(c.pollDue(10)).as("at %d ms", t).isEmpty();
        }
        at(200);
        assertThat(ids(c.pollDue(10))).containsExactly(A);
    }

    // ---- memory, sources and counts ----

    @Test
    void memoryIsBoundedByDistinctSessionsNotByNotifications() {
        SessionCoalescer c = coalescer(100, 1000);
        UUID[] sessions = {A, B, C};
        for (int i = 0; i < 10_000; i++) {
            c.mark(sessions[i % 3], SESSION_UPDATE);
        }
        assertThat(c.pendingCount()).isEqualTo(3);
        assertThat(c.dirtyCount()).isEqualTo(3);
        assertThat(c.lastSeq()).isEqualTo(10_000);
        at(100);
        assertThat(ids(c.pollDue(100))).containsExactlyInAnyOrder(A, B, C);
    }

    @Test
    void markHandsOutIncreasingSequenceNumbers() {
        SessionCoalescer c = coalescer(100, 1000);
        assertThat(c.lastSeq()).isZero();
        assertThat(c.mark(A, SESSION_UPDATE)).isEqualTo(1);
        assertThat(c.mark(B, SESSION_UPDATE)).isEqualTo(2);
        assertThat(c.mark(A, SESSION_UPDATE)).isEqualTo(3);
        assertThat(c.lastSeq()).isEqualTo(3);
    }

    @Test
    void mergesSourcesOfAllMarksOfOneSession() {
        SessionCoalescer c = coalescer(100, 1000);
        c.mark(A, TODO_INSERT);
        c.mark(A, TOOL_UPDATE);
        c.mark(A, ChangeSources.CATCHUP);
        c.mark(B, SESSION_UPDATE);
        at(100);
        List<DueSession> due = c.pollDue(10);
        assertThat(due).extracting(DueSession::id, DueSession::sources).containsExactlyInAnyOrder(
                org.assertj.core.groups.Tuple.tuple(A, TODO_INSERT | TOOL_UPDATE | ChangeSources.CATCHUP),
                org.assertj.core.groups.Tuple.tuple(B, SESSION_UPDATE));
    }

    @Test
    void sourcesOfAPublishedPeriodAreNotCarriedIntoTheNext() {
        SessionCoalescer c = coalescer(0, 0);
        c.mark(A, TODO_INSERT);
        c.pollDue(10);
        c.complete(A, true);
        c.mark(A, TOOL_UPDATE);
        assertThat(c.pollDue(10).get(0).sources()).isEqualTo(TOOL_UPDATE);
    }

    @Test
    void countsDirtyInFlightAndPendingSessions() {
        SessionCoalescer c = coalescer(100, 1000);
        c.mark(A, SESSION_UPDATE);
        c.mark(B, SESSION_UPDATE);
        at(10);
        c.mark(C, SESSION_UPDATE);
        assertThat(List.of(c.dirtyCount(), c.inFlightCount(), c.pendingCount()))
                .containsExactly(3, 0, 3);
        at(100);
        assertThat(ids(c.pollDue(10))).containsExactlyInAnyOrder(A, B);
        assertThat(List.of(c.dirtyCount(), c.inFlightCount(), c.pendingCount()))
                .containsExactly(1, 2, 3);
        c.mark(A, TODO_INSERT);
        assertThat(List.of(c.dirtyCount(), c.inFlightCount(), c.pendingCount()))
                .as("A is in flight and has new changes").containsExactly(2, 2, 3);
        c.complete(B, true);
        assertThat(List.of(c.dirtyCount(), c.inFlightCount(), c.pendingCount()))
                .containsExactly(2, 1, 2);
        c.complete(A, true);
        assertThat(List.of(c.dirtyCount(), c.inFlightCount(), c.pendingCount()))
                .containsExactly(2, 0, 2);
        c.flush();
        c.pollDue(10).forEach(s -> c.complete(s.id(), true));
        assertThat(List.of(c.dirtyCount(), c.inFlightCount(), c.pendingCount()))
                .containsExactly(0, 0, 0);
    }

    // ---- low watermark ----

    @Test
    void lowWatermarkIsLastSeqPlusOneWhenNothingIsPending() {
        SessionCoalescer c = coalescer(0, 0);
        assertThat(c.lowWatermark()).isEqualTo(1);
        c.mark(A, SESSION_UPDATE);
        c.mark(B, SESSION_UPDATE);
        c.pollDue(10).forEach(s -> c.complete(s.id(), true));
        assertThat(c.lowWatermark()).isEqualTo(c.lastSeq() + 1).isEqualTo(3);
    }

    @Test
    void lowWatermarkIsTheOldestChangeNotYetPublished() {
        SessionCoalescer c = coalescer(100, 1000);
        c.mark(A, SESSION_UPDATE); // 1
        at(10);
        c.mark(B, SESSION_UPDATE); // 2
        c.mark(A, SESSION_UPDATE); // 3
        assertThat(c.lowWatermark()).isEqualTo(1);
        at(110);
        assertThat(ids(c.pollDue(10))).containsExactlyInAnyOrder(A, B);
        assertThat(c.lowWatermark()).as("taken is not published").isEqualTo(1);
        c.complete(A, true);
        assertThat(c.lowWatermark()).isEqualTo(2);
        c.complete(B, true);
        assertThat(c.lowWatermark()).isEqualTo(4);
    }

    @Test
    void failedFlightKeepsItsSequenceInTheWatermark() {
        SessionCoalescer c = coalescer(0, 0);
        c.mark(A, SESSION_UPDATE); // 1
        c.mark(B, SESSION_UPDATE); // 2
        c.pollDue(10);
        c.complete(B, true);
        c.complete(A, false);
        assertThat(c.lowWatermark()).isEqualTo(1);
        at(200);
        assertThat(ids(c.pollDue(10))).containsExactly(A);
        assertThat(c.lowWatermark()).isEqualTo(1);
        c.complete(A, true);
        assertThat(c.lowWatermark()).isEqualTo(3);
    }

    @Test
    void marksDuringFlightDoNotLetTheWatermarkPassTheInFlightChange() {
        SessionCoalescer c = coalescer(0, 0);
        c.mark(A, SESSION_UPDATE); // 1
        c.pollDue(10);
        c.mark(A, SESSION_UPDATE); // 2
        c.mark(B, SESSION_UPDATE); // 3
        c.pollDue(10).forEach(s -> c.complete(s.id(), true)); // B only: A is in flight
        assertThat(c.lowWatermark()).isEqualTo(1);
        c.complete(A, true);
        assertThat(c.lowWatermark()).as("A's change during the flight is still owed").isEqualTo(2);
        assertThat(ids(c.pollDue(10))).containsExactly(A);
        c.complete(A, true);
        assertThat(c.lowWatermark()).isEqualTo(4);
    }

    @Test
    void failedFlightWithNewerChangesKeepsTheOlderSequence() {
        SessionCoalescer c = coalescer(0, 0);
        c.mark(A, SESSION_UPDATE); // 1
        c.pollDue(10);
        c.mark(A, SESSION_UPDATE); // 2
        c.complete(A, false);
        assertThat(c.lowWatermark()).isEqualTo(1);
    }

    // ---- flush and awaitDue ----

    @Test
    void flushMakesEveryDirtySessionDueNow() {
        SessionCoalescer c = coalescer(100, 1000);
        c.mark(A, SESSION_UPDATE);
        c.mark(B, SESSION_UPDATE);
        assertThat(c.pollDue(10)).isEmpty();
        c.flush();
        assertThat(ids(c.pollDue(10))).containsExactlyInAnyOrder(A, B);
    }

    @Test
    void afterFlushNewChangesAndChangesDuringFlightAreDueWithoutWindow() {
        SessionCoalescer c = coalescer(100, 1000);
        c.mark(A, SESSION_UPDATE);
        c.flush();
        assertThat(ids(c.pollDue(10))).containsExactly(A);
        c.mark(A, SESSION_UPDATE);
        c.mark(B, SESSION_UPDATE);
        assertThat(ids(c.pollDue(10))).containsExactly(B);
        c.complete(A, true);
        assertThat(ids(c.pollDue(10))).containsExactly(A);
    }

    @Test
    void flushKeepsTheRetryBackoffOfFailedSessions() {
        SessionCoalescer c = coalescer(0, 0);
        c.mark(A, SESSION_UPDATE);
        c.pollDue(10);
        c.complete(A, false);
        c.flush();
        assertThat(c.pollDue(10)).as("a failing dependency is not hammered at shutdown").isEmpty();
        at(200);
        assertThat(ids(c.pollDue(10))).containsExactly(A);
    }

    @Test
    void awaitDueReturnsAtMostMax() throws InterruptedException {
        SessionCoalescer c = coalescer(0, 0);
        for (int i = 0; i < 5; i++) {
            c.mark(UUID.randomUUID(), SESSION_UPDATE);
        }
        assertThat(c.awaitDue(2, 0)).hasSize(2);
        assertThat(c.awaitDue(2, 0)).hasSize(2);
        assertThat(c.awaitDue(2, 0)).hasSize(1);
        assertThat(c.awaitDue(2, 0)).isEmpty();
        assertThat(c.inFlightCount()).isEqualTo(5);
    }

    @Test
    void awaitDueReturnsSessionsInDueOrder() throws InterruptedException {
        SessionCoalescer c = coalescer(100, 1000);
        c.mark(C, SESSION_UPDATE);
        at(10);
        c.mark(B, SESSION_UPDATE);
        at(20);
        c.mark(A, SESSION_UPDATE);
        at(500);
        assertThat(ids(c.awaitDue(10, 0))).containsExactly(C, B, A);
    }

    @Test
    void awaitDueTakesTheEarliestDueFirstWhenLimited() throws InterruptedException {
        SessionCoalescer c = coalescer(100, 1000);
        c.mark(A, SESSION_UPDATE);
        at(10);
        c.mark(B, SESSION_UPDATE);
        at(110);
        assertThat(ids(c.awaitDue(1, 0))).containsExactly(A);
        assertThat(ids(c.awaitDue(1, 0))).containsExactly(B);
    }

    @Test
    @Timeout(10)
    void awaitDueReturnsAtOnceWhenASessionIsDue() throws InterruptedException {
        SessionCoalescer c = coalescer(0, 0);
        c.mark(A, SESSION_UPDATE);
        assertThat(ids(c.awaitDue(10, HOUR))).containsExactly(A);
    }

    @Test
    void awaitDueWithZeroTimeoutReturnsEmptyWhenNothingIsDue() throws InterruptedException {
        SessionCoalescer c = coalescer(100, 1000);
        c.mark(A, SESSION_UPDATE);
        assertThat(c.awaitDue(10, 0)).isEmpty();
        assertThat(c.inFlightCount()).isZero();
    }

    @Test
    @Timeout(10)
    void awaitDueReturnsEmptyWhenItsTimeoutExpires() throws InterruptedException {
        SessionCoalescer c = new SessionCoalescer(Ticker.SYSTEM, DebounceMode.TRAILING, 60_000, 60_000, retry);
        c.mark(A, SESSION_UPDATE);
        assertThat(c.awaitDue(10, TimeUnit.MILLISECONDS.toNanos(1))).isEmpty();
        assertThat(c.pendingCount()).isEqualTo(1);
    }

    @Test
    @Timeout(10)
    void awaitDueWakesUpWhenASessionIsMarked() throws Exception {
        SessionCoalescer c = coalescer(0, 0);
        AtomicReference<List<DueSession>> got = new AtomicReference<>();
        Thread worker = new Thread(() -> {
            try {
                got.set(c.awaitDue(10, HOUR));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "test-worker");
        worker.start();
        while (worker.getState() != Thread.State.TIMED_WAITING) {
            Thread.onSpinWait();
        }
        c.mark(A, SESSION_UPDATE);
        worker.join();
        assertThat(ids(got.get())).containsExactly(A);
    }

    // ---- concurrency ----

    @ParameterizedTest
    @EnumSource(DebounceMode.class)
    @Timeout(60)
    void drainsEverythingUnderConcurrentMarkingTakingAndFailing(DebounceMode mode) throws Exception {
        ManualTicker stepping = ManualTicker.stepping(Duration.ofNanos(100_000));
        SessionCoalescer c = new SessionCoalescer(stepping, mode, 1, 5, new Backoff(1, 2, () -> 1.0));
        UUID[] sessions = new UUID[1000];
        for (int i = 0; i < sessions.length; i++) {
            sessions[i] = new UUID(0, i);
        }
        int markers = 4;
        int marksEach = 25_000;
        Set<UUID> inFlight = ConcurrentHashMap.newKeySet();
        Set<UUID> published = ConcurrentHashMap.newKeySet();
        AtomicInteger completions = new AtomicInteger();
        AtomicInteger doubleFlights = new AtomicInteger();
        AtomicBoolean marking = new AtomicBoolean(true);
        List<Throwable> failures = new java.util.concurrent.CopyOnWriteArrayList<>();

        List<Thread> markerThreads = new ArrayList<>();
        for (int m = 0; m < markers; m++) {
            int offset = m * 7;
            markerThreads.add(new Thread(() -> {
                for (int i = 0; i < marksEach; i++) {
                    c.mark(sessions[(i * 13 + offset) % sessions.length],
                            ChangeSources.bit(i % 4, Op.UPDATE));
                }
            }, "marker-" + m));
        }
        List<Thread> takers = new ArrayList<>();
        for (int t = 0; t < 2; t++) {
            takers.add(new Thread(() -> {
                try {
                    while (marking.get() || c.pendingCount() > 0) {
                        for (DueSession s : c.awaitDue(64, TimeUnit.MILLISECONDS.toNanos(1))) {
                            if (!inFlight.add(s.id())) {
                                doubleFlights.incrementAndGet();
                            }
                            // every 7th completion fails and every 5th finds nothing new:
                            // retries and unchanged states are part of the traffic
                            int n = completions.incrementAndGet();
                            Completion outcome = n % 7 == 0 ? Completion.FAILED
                                    : n % 5 == 0 ? Completion.UNCHANGED : Completion.PUBLISHED;
                            if (outcome != Completion.FAILED) {
                                published.add(s.id());
                            }
                            inFlight.remove(s.id());
                            c.complete(s.id(), outcome);
                        }
                    }
                } catch (Throwable e) {
                    failures.add(e);
                }
            }, "taker-" + t));
        }
        takers.forEach(Thread::start);
        markerThreads.forEach(Thread::start);
        for (Thread t : markerThreads) {
            t.join();
        }
        assertThat(c.lastSeq()).isEqualTo((long) markers * marksEach);
        c.flush();
        marking.set(false);
        c.wakeUp();
        for (Thread t : takers) {
            t.join();
        }

        assertThat(failures).isEmpty();
        assertThat(doubleFlights.get()).as("a session in two flights at once").isZero();
        assertThat(c.pendingCount()).isZero();
        assertThat(c.dirtyCount()).isZero();
        assertThat(c.inFlightCount()).isZero();
        assertThat(c.lowWatermark()).isEqualTo(c.lastSeq() + 1);
        assertThat(published).containsExactlyInAnyOrder(sessions);
        assertThat(completions.get()).as("coalesced").isLessThan(markers * marksEach);
    }
}
