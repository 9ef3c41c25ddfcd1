package io.pgbridge.consumer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class HeartbeatTrackerTest {

  private final AtomicLong now = new AtomicLong(1_000_000);
  private final AtomicReference<Position> position = new AtomicReference<>(Position.START);
  private final HeartbeatTracker tracker = new HeartbeatTracker(now::get, position::get);

  private static Heartbeat beat(String time, String publishedUpTo, String offsets) {
    String json = "{\"bridgeId\":\"pgbridge\",\"instance\":\"i1\",\"time\":\"" + time + "\","
        + "\"intervalMs\":2000,\"source\":\"notify\",\"publishedUpTo\":"
        + (publishedUpTo == null ? "null" : "\"" + publishedUpTo + "\"")
        + ",\"position\":\"x\",\"offsets\":" + offsets + ",\"futureField\":1}";
    return Heartbeat.parse("pgbridge", json.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void unknownUntilTheFirstHeartbeat() {
    assertThat(tracker.liveness().bridge()).isEqualTo(Liveness.Bridge.UNKNOWN);
  }

  @Test
  void liveWhileHeartbeatsArriveAndStaleAfterThreeMissedIntervals() {
    tracker.received(beat("2026-12-02T10:00:00Z", null, "{}"), now.get());
    assertThat(tracker.liveness().bridge()).isEqualTo(Liveness.Bridge.LIVE);

    now.addAndGet(6_000);
    assertThat(tracker.liveness().bridge()).isEqualTo(Liveness.Bridge.LIVE);
    now.addAndGet(1);
    assertThat(tracker.liveness().bridge()).isEqualTo(Liveness.Bridge.STALE);

    tracker.received(beat("2026-12-02T10:00:08Z", null, "{}"), now.get());
    assertThat(tracker.liveness().bridge()).isEqualTo(Liveness.Bridge.LIVE);
  }

  @Test
  void anOldHeartbeatReadFromTheTopicsHistoryIsStale() {
    tracker.received(beat("2026-12-02T09:00:00Z", null, "{}"), now.get() - 3_600_000);

    assertThat(tracker.liveness().bridge()).isEqualTo(Liveness.Bridge.STALE);
  }

  @Test
  void currentAsOfPublishedUpToOnceTheViewReachedTheHeartbeatsOffsets() {
    tracker.received(beat("2026-12-02T10:00:00Z", "2026-12-02T09:59:59Z", "{\"0\":10,\"1\":5}"),
        now.get());
    position.set(new Position(Map.of(0, 10L, 1, 4L)));
    assertThat(tracker.liveness().currentAsOf()).isNull();

    position.set(new Position(Map.of(0, 10L, 1, 5L)));
    assertThat(tracker.liveness().currentAsOf()).isEqualTo(Instant.parse("2026-12-02T09:59:59Z"));
  }

  @Test
  void rejectsValuesThatAreNotHeartbeats() {
    assertThatThrownBy(() -> Heartbeat.parse("k", "{\"intervalMs\":1}".getBytes(
        StandardCharsets.UTF_8))).hasMessageContaining("time");
    assertThatThrownBy(() -> Heartbeat.parse("k", "[]".getBytes(StandardCharsets.UTF_8)))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void positionsRoundTripAndRejectGarbage() {
    Position p = Position.parse("1:5,0:12");
    assertThat(p.encode()).isEqualTo("0:12,1:5");
    assertThat(p.offset(2)).isZero();
    assertThat(p.before(0, 12)).isTrue();
    assertThat(p.before(0, 11)).isFalse();
    assertThatThrownBy(() -> Position.parse("0-1")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Position.parse("a:1")).isInstanceOf(IllegalArgumentException.class);
  }
}
