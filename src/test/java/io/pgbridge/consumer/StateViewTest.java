package io.pgbridge.consumer;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgbridge.consumer.StateView.Outcome;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class StateViewTest {

  private final Records records = new Records();
  private final StateView view = Records.view();

  @Test
  void keepsTheHighestVersionAndIgnoresDuplicatesAndOutOfOrderRecords() {
    assertThat(view.apply(records.state("s1", "p1", 1), 0)).isEqualTo(Outcome.APPLIED);
    assertThat(view.apply(records.state("s1", "p1", 3), 0)).isEqualTo(Outcome.APPLIED);
    assertThat(view.apply(records.state("s1", "p1", 3), 0)).isEqualTo(Outcome.DUPLICATE);
    assertThat(view.apply(records.state("s1", "p1", 2), 0)).isEqualTo(Outcome.DUPLICATE);

    SessionState s = view.get("s1").orElseThrow();
    assertThat(s.version()).isEqualTo(3);
    assertThat(s.stateText()).isEqualTo("{\"status\":\"running\",\"v\":3}");
    assertThat(s.offset()).as("the first record with the highest version").isEqualTo(1);
    assertThat(view.stats().duplicates.sum()).isEqualTo(2);
    assertThat(view.stats().applied.sum()).isEqualTo(2);
  }

  @Test
  void aTombstoneDeletesWhateverItsVersionAndIsRemembered() {
    view.apply(records.state("s1", "p1", 7), 0);
    assertThat(view.apply(records.tombstone("s1"), 5)).isEqualTo(Outcome.DELETED);

    assertThat(view.get("s1")).isEmpty();
    assertThat(view.sessionsOf("p1")).isEmpty();
    Tombstone t = view.deletion("s1").orElseThrow();
    assertThat(t.lastVersion()).isEqualTo(7);
    assertThat(t.projectId()).isEqualTo("p1");
    assertThat(view.apply(records.tombstone("never-seen"), 5))
        .isEqualTo(Outcome.TOMBSTONE_UNKNOWN);
  }

  @Test
  void aSessionRecreatedAfterItsTombstoneIsAppliedEvenWhenItsVersionsStartAgain() {
    view.apply(records.state("s1", "p1", 5), 0);
    view.apply(records.tombstone("s1"), 0);
    assertThat(view.apply(records.state("s1", "p1", 1), 0)).isEqualTo(Outcome.APPLIED);
    assertThat(view.apply(records.state("s1", "p1", 2), 0)).isEqualTo(Outcome.APPLIED);

    SessionState s = view.get("s1").orElseThrow();
    assertThat(s.version()).isEqualTo(2);
    assertThat(s.versionsRestarted()).as("versions went back across the tombstone").isTrue();
    assertThat(view.deletion("s1")).isEmpty();
    assertThat(view.sessionsOf("p1")).extracting(SessionState::sessionId).containsExactly("s1");
  }

  @Test
  void aSessionRecreatedWithContinuingVersionsIsAppliedAndComparable() {
    view.apply(records.state("s1", "p1", 5), 0);
    view.apply(records.tombstone("s1"), 0);
    assertThat(view.apply(records.state("s1", "p1", 6), 0)).isEqualTo(Outcome.APPLIED);

    assertThat(view.get("s1").orElseThrow().versionsRestarted()).isFalse();
  }

  @Test
  void aDuplicateOfTheDeletedIncarnationAfterItsTombstoneStartsANewOne() {
    // topic order is the truth: whatever follows a tombstone in the partition is newer
    view.apply(records.state("s1", "p1", 4), 0);
    view.apply(records.tombstone("s1"), 0);
    view.apply(records.state("s1", "p1", 4), 0);

    assertThat(view.get("s1").orElseThrow().version()).isEqualTo(4);
  }

  @Test
  void listsTheSessionsOfAProjectAndFollowsAProjectChange() {
    view.apply(records.state("a", "p1", 1), 0);
    view.apply(records.state("b", "p1", 1), 0);
    view.apply(records.state("c", "p2", 1), 0);
    view.apply(records.state("b", "p2", 2), 0);

    assertThat(view.sessionsOf("p1")).extracting(SessionState::sessionId).containsExactly("a");
    assertThat(view.sessionsOf("p2")).extracting(SessionState::sessionId)
        .containsExactlyInAnyOrder("b", "c");
    assertThat(view.projects()).containsExactlyInAnyOrder("p1", "p2");
  }

  @Test
  void listenersSeeEveryChangeInOrderWithIncreasingSequenceNumbers() {
    List<Change> seen = new ArrayList<>();
    view.addListener(seen::add);
    view.apply(records.state("s1", "p1", 1), 0);
    view.apply(records.state("s1", "p1", 1), 0);
    view.apply(records.state("s1", "p1", 2), 0);
    view.apply(records.tombstone("s1"), 0);

    assertThat(seen).extracting(Change::kind).containsExactly(Change.Kind.UPDATED,
        Change.Kind.UPDATED, Change.Kind.DELETED);
    assertThat(seen).extracting(Change::seq).isSorted().doesNotHaveDuplicates();
    assertThat(seen.get(2).projectId()).isEqualTo("p1");
  }

  @Test
  void recordsThatBreakTheContractAreSkippedAndCounted() {
    TopicRecord noVersion = new TopicRecord(0, 0, 0, "s1",
        "{\"state\":{}}".getBytes(StandardCharsets.UTF_8), Map.of());
    TopicRecord notJson = new TopicRecord(0, 1, 0, "s1",
        "{not json".getBytes(StandardCharsets.UTF_8), Map.of(RecordContract.HEADER_VERSION, "1"));
    TopicRecord noKey = new TopicRecord(0, 2, 0, null,
        "{\"state\":{}}".getBytes(StandardCharsets.UTF_8), Map.of(RecordContract.HEADER_VERSION,
        "1"));

    assertThat(view.apply(noVersion, 0)).isEqualTo(Outcome.INVALID);
    assertThat(view.apply(notJson, 0)).isEqualTo(Outcome.INVALID);
    assertThat(view.apply(noKey, 0)).isEqualTo(Outcome.INVALID);
    assertThat(view.stats().invalid.sum()).isEqualTo(3);
    assertThat(view.size()).isZero();
    assertThat(view.position().offset(0)).as("the position passes invalid records").isEqualTo(3);
  }

  @Test
  void finishedSessionsAreEvictedAfterTheirRetentionAndComeBackWithTheirNextRecord() {
    StateView v = new StateView(new RecordDecoder(RecordContract.ValueFormat.ENVELOPE, "status"),
        new RetentionPolicy("status", Set.of("completed", "failed"), 1_000, 100, 60_000, 10));
    List<Change> seen = new ArrayList<>();
    v.addListener(seen::add);
    v.apply(records.state("done", "p", 3, "{\"status\":\"completed\"}"), 10_000);
    v.apply(records.state("busy", "p", 3, "{\"status\":\"running\"}"), 10_000);

    v.expire(10_999);
    assertThat(v.get("done")).isPresent();
    v.expire(11_000);
    assertThat(v.get("done")).isEmpty();
    assertThat(v.get("busy")).isPresent();
    assertThat(v.stats().evictedFinished.sum()).isEqualTo(1);
    assertThat(seen.get(seen.size() - 1).kind()).isEqualTo(Change.Kind.EVICTED);

    v.apply(records.state("done", "p", 4, "{\"status\":\"running\"}"), 12_000);
    assertThat(v.get("done").orElseThrow().version()).isEqualTo(4);
  }

  @Test
  void theSessionLimitEvictsFinishedSessionsFirstThenAnyAndCountsIt() {
    StateView v = new StateView(new RecordDecoder(RecordContract.ValueFormat.ENVELOPE, "status"),
        new RetentionPolicy("status", Set.of("completed"), 0, 2, 60_000, 10));
    v.apply(records.state("a", "p", 1, "{\"status\":\"running\"}"), 0);
    v.apply(records.state("b", "p", 1, "{\"status\":\"completed\"}"), 0);
    v.apply(records.state("c", "p", 1, "{\"status\":\"running\"}"), 0);

    assertThat(v.size()).isEqualTo(2);
    assertThat(v.get("b")).as("the finished one goes first").isEmpty();
    v.apply(records.state("d", "p", 1, "{\"status\":\"running\"}"), 0);
    assertThat(v.size()).isEqualTo(2);
    assertThat(v.stats().evictedCapacity.sum()).isEqualTo(1);
  }

  @Test
  void deletionMarkersAreBoundedAndAForgottenOneIsReportedForResumingReaders() {
    StateView v = new StateView(new RecordDecoder(RecordContract.ValueFormat.ENVELOPE, "status"),
        new RetentionPolicy("status", Set.of(), 0, 100, 1_000, 2));
    v.apply(records.state("a", "p", 1), 0);
    Position before = v.position();
    v.apply(records.tombstone("a"), 0);
    v.apply(records.tombstone("b"), 0);
    assertThat(v.remembersDeletionsSince(before)).isTrue();
    v.apply(records.tombstone("c"), 0);

    assertThat(v.deletions()).extracting(Tombstone::sessionId).containsExactlyInAnyOrder("b", "c");
    assertThat(v.remembersDeletionsSince(before)).isFalse();
    assertThat(v.remembersDeletionsSince(v.position())).isTrue();
    v.expire(1_000);
    assertThat(v.deletions()).isEmpty();
  }
}
