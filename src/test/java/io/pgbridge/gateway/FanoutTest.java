package io.pgbridge.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.pgbridge.consumer.RecordContract;
import io.pgbridge.consumer.RecordDecoder;
import io.pgbridge.consumer.RetentionPolicy;
import io.pgbridge.consumer.StateView;
import io.pgbridge.consumer.TopicRecord;
import io.pgbridge.gateway.auth.Principal;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/**
 * Fan-out to fast and slow clients, without sockets: a client's writes complete only when the
 * test says, so "slow" is exact. A slow client skips intermediate versions and ends on the
 * newest, never holds up a fast one, and is disconnected when more sessions wait than its
 * queue holds.
 */
class FanoutTest {

  private static final ObjectMapper JSON = new ObjectMapper();

  private final StateView view = new StateView(
      new RecordDecoder(RecordContract.ValueFormat.ENVELOPE, "status"),
      RetentionPolicy.keepAll(10_000));
  private final GatewayMetrics metrics = new GatewayMetrics(new SimpleMeterRegistry());
  private final Fanout fanout = new Fanout(view, metrics, 100, () -> 0L);
  private long offset;

  {
    view.addListener(fanout);
  }

  /** A client whose writes complete when {@link #complete()} is called (or at once if fast). */
  private final class TestClient extends Client {
    final boolean fast;
    final List<String> written = new ArrayList<>();
    int writes;
    Runnable pending;
    Integer closeCode;

    TestClient(boolean fast, int queueMax, Principal principal) {
      super(0, principal, queueMax, Runnable::run, metrics, () -> 0L);
      this.fast = fast;
    }

    @Override
    String transport() {
      return "test";
    }

    @Override
    void write(List<OutboundQueue.Entry> entries, Runnable done, Consumer<Throwable> failed) {
      writes++;
      for (OutboundQueue.Entry entry : entries) {
        written.add(entry.text());
      }
      if (fast) {
        done.run();
      } else {
        pending = done;
      }
    }

    void complete() {
      Runnable r = pending;
      pending = null;
      r.run();
    }

    @Override
    void closeTransport(int code, String reason) {
      closeCode = code;
    }

    List<Long> versionsOf(String session) {
      List<Long> out = new ArrayList<>();
      for (String t : written) {
        JsonNode n = read(t);
        if (n.path("type").asText().equals("state")
            && n.path("sessionId").asText().equals(session)) {
          out.add(n.path("version").asLong());
        }
      }
      return out;
    }
  }

  private static JsonNode read(String t) {
    try {
      return JSON.readTree(t);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private void publish(String session, String project, long version) {
    String value = "{\"sessionId\":\"" + session + "\",\"projectId\":\"" + project
        + "\",\"version\":" + version + ",\"updatedAt\":null,\"state\":{\"v\":" + version + "}}";
    view.apply(new TopicRecord(0, offset++, 1, session, value.getBytes(StandardCharsets.UTF_8),
        Map.of(RecordContract.HEADER_VERSION, Long.toString(version),
            RecordContract.HEADER_PROJECT_ID, project)), 0);
  }

  private TestClient subscribed(boolean fast, int queueMax, String project) {
    TestClient c = new TestClient(fast, queueMax, Principal.anonymousWithEveryProject());
    fanout.add(c);
    assertThat(fanout.handle(c, new ClientMessage("subscribe", "r", List.of(project), List.of(),
        Map.of(), null))).isNull();
    return c;
  }

  @Test
  void aSlowClientSkipsIntermediateVersionsAndEndsOnTheNewestWhileAFastOneGetsEvery() {
    TestClient slow = subscribed(false, 100, "p");
    slow.complete(); // the synced message
    TestClient fast = subscribed(true, 100, "p");

    for (long v = 1; v <= 100; v++) {
      publish("s1", "p", v);
    }

    assertThat(fast.versionsOf("s1")).hasSize(100).isSorted();
    assertThat(slow.versionsOf("s1")).containsExactly(1L);
    slow.complete();
    assertThat(slow.versionsOf("s1")).containsExactly(1L, 100L);
    assertThat(metrics.skippedCount()).isEqualTo(98);
    assertThat(slow.closeCode).isNull();
  }

  @Test
  void whatWaitsForASlowClientGoesOutInBatchesInOrderAndEndsOnTheNewest() {
    TestClient slow = subscribed(false, 100, "p");
    slow.complete(); // the synced message
    int before = slow.writes;

    publish("s0", "p", 1); // written at once, completes later
    for (int i = 1; i <= 40; i++) {
      publish("s" + i, "p", 1);
    }
    publish("s5", "p", 2); // replaces the waiting version 1
    assertThat(slow.writes - before).isEqualTo(1);
    slow.complete();
    assertThat(slow.writes - before).as("40 waiting: one batch of %d, then the rest",
        Client.BATCH_MESSAGES).isEqualTo(2);
    slow.complete();
    assertThat(slow.writes - before).isEqualTo(3);
    slow.complete();

    List<String> order = new ArrayList<>();
    for (String t : slow.written) {
      JsonNode n = read(t);
      if (n.path("type").asText().equals("state")) {
        order.add(n.path("sessionId").asText() + "@" + n.path("version").asLong());
      }
    }
    List<String> expected = new ArrayList<>();
    for (int i = 0; i <= 40; i++) {
      expected.add("s" + i + "@" + (i == 5 ? 2 : 1));
    }
    assertThat(order).containsExactlyElementsOf(expected);
    assertThat(metrics.sentCount("state")).isEqualTo(41);
    assertThat(metrics.skippedCount()).isEqualTo(1);
  }

  @Test
  void aClientWithMoreSessionsWaitingThanItsQueueHoldsIsDisconnectedAndCounted() {
    TestClient slow = subscribed(false, 16, "p");
    TestClient fast = subscribed(true, 16, "p");

    for (int i = 0; i < 40; i++) {
      publish("s" + i, "p", 1);
    }

    assertThat(slow.closeCode).isEqualTo(1013);
    assertThat(slow.closed()).isTrue();
    assertThat(metrics.droppedCount("queue_full")).isEqualTo(1);
    assertThat(fast.closed()).isFalse();
    assertThat(fast.written.stream().filter(t -> t.contains("\"state\"")).count()).isEqualTo(40);
    assertThat(fanout.clients).containsExactly(fast);
  }

  @Test
  void aClientSeesOnlyProjectsItsPrincipalAllows() {
    TestClient limited = new TestClient(true, 100, new Principal("u", Set.of("p"), false, null));
    fanout.add(limited);
    assertThat(fanout.handle(limited, new ClientMessage("subscribe", null, List.of("q"),
        List.of(), Map.of(), null)).code()).isEqualTo("forbidden");
    publish("x", "q", 1);
    assertThat(fanout.handle(limited, new ClientMessage("subscribe", null, List.of(),
        List.of("x"), Map.of(), null)).code()).isEqualTo("forbidden");
    // a session subscribed before it is known is filtered at delivery
    assertThat(fanout.handle(limited, new ClientMessage("subscribe", null, List.of(),
        List.of("later"), Map.of(), null))).isNull();
    publish("later", "q", 1);
    assertThat(limited.versionsOf("later")).isEmpty();
    assertThat(metrics.refusedCount("forbidden")).isEqualTo(2);
  }

  @Test
  void theSnapshotAndLiveChangesNeverGoBackwards() {
    publish("s", "p", 1);
    publish("s", "p", 2);
    TestClient c = subscribed(true, 100, "p");
    publish("s", "p", 3);
    publish("s", "p", 3);

    assertThat(c.versionsOf("s")).containsExactly(2L, 3L);
  }
}
