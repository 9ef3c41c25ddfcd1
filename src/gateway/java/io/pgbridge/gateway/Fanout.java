package io.pgbridge.gateway;

import io.pgbridge.consumer.Change;
import io.pgbridge.consumer.Position;
import io.pgbridge.consumer.SessionState;
import io.pgbridge.consumer.StateListener;
import io.pgbridge.consumer.StateView;
import io.pgbridge.consumer.Tombstone;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * Who watches what, and the delivery of every change to them. As a {@link StateListener} it runs
 * on the consumer thread: it builds each change's message once and offers it to the queues of
 * the clients subscribed to the session or its project (and allowed to see that project),
 * who all share its bytes;
 * offering never blocks. {@link #subscribe} runs on a request thread: it checks the limits and
 * the client's rights, then registers the client and queues the current states in one
 * {@link StateView#consistently} cut, so no change falls between snapshot and live updates.
 */
final class Fanout implements StateListener {

  /** Why a subscription was refused: an error code of the protocol and a message. */
  record Refusal(String code, String message) {}

  private final StateView view;
  private final GatewayMetrics metrics;
  private final int maxSubscriptions;
  private final LongSupplier clockMs;
  private final Map<String, Set<Client>> bySession = new ConcurrentHashMap<>();
  private final Map<String, Set<Client>> byProject = new ConcurrentHashMap<>();
  final Set<Client> clients = ConcurrentHashMap.newKeySet();
  private final AtomicLong controlSeq = new AtomicLong();

  Fanout(StateView view, GatewayMetrics metrics, int maxSubscriptions, LongSupplier clockMs) {
    this.view = view;
    this.metrics = metrics;
    this.maxSubscriptions = maxSubscriptions;
    this.clockMs = clockMs;
  }

  void add(Client c) {
    clients.add(c);
    c.onClose(this::remove);
  }

  private void remove(Client c) {
    clients.remove(c);
    for (String s : c.sessions) {
      unindex(bySession, s, c);
    }
    for (String p : c.projects) {
      unindex(byProject, p, c);
    }
  }

  private static void unindex(Map<String, Set<Client>> index, String key, Client c) {
    index.computeIfPresent(key, (k, set) -> {
      set.remove(c);
      return set.isEmpty() ? null : set;
    });
  }

  int subscriptions() {
    int n = 0;
    for (Client c : clients) {
      n += c.subscriptionCount();
    }
    return n;
  }

  int clients(String transport) {
    int n = 0;
    for (Client c : clients) {
      if (c.transport().equals(transport)) {
        n++;
      }
    }
    return n;
  }

  @Override
  public void onChange(Change change) {
    if (change.kind() == Change.Kind.EVICTED) {
      return;
    }
    Set<Client> direct = bySession.get(change.sessionId());
    Set<Client> project = change.projectId() == null ? null : byProject.get(change.projectId());
    if (direct == null && project == null) {
      return;
    }
    boolean update = change.kind() == Change.Kind.UPDATED;
    byte[] message = update ? Protocol.stateUtf8(change.state())
        : Protocol.deleted(change.sessionId(), change.projectId(), "tombstone")
            .getBytes(StandardCharsets.UTF_8);
    OutboundQueue.Entry entry = new OutboundQueue.Entry(change.sessionId(), change.seq(),
        message, change.timestampMs(), clockMs.getAsLong(), update ? "state" : "deleted", null);
    deliver(direct, change.projectId(), entry);
    deliver(project, change.projectId(), entry);
  }

  private static void deliver(Set<Client> targets, String projectId, OutboundQueue.Entry entry) {
    if (targets == null) {
      return;
    }
    for (Client c : targets) {
      if (c.principal.mayWatch(projectId)) {
        c.offer(entry);
      }
    }
  }

  /** Checks and applies a subscribe or unsubscribe; returns why it was refused, or null. */
  Refusal handle(Client c, ClientMessage m) {
    if (m.type().equals("unsubscribe")) {
      for (String p : m.projects()) {
        if (c.projects.remove(p)) {
          unindex(byProject, p, c);
        }
      }
      for (String s : m.sessions()) {
        if (c.sessions.remove(s)) {
          unindex(bySession, s, c);
        }
      }
      return null;
    }
    Set<String> added = new HashSet<>();
    for (String p : m.projects()) {
      if (!c.projects.contains(p)) {
        added.add("p:" + p);
      }
    }
    for (String s : m.sessions()) {
      if (!c.sessions.contains(s)) {
        added.add("s:" + s);
      }
    }
    if (c.subscriptionCount() + added.size() > maxSubscriptions) {
      metrics.refused("too_many_subscriptions");
      return new Refusal("too_many_subscriptions", "a connection may subscribe to at most "
          + maxSubscriptions + " projects and sessions");
    }
    for (String p : m.projects()) {
      if (!c.principal.mayWatch(p)) {
        metrics.refused("forbidden");
        return new Refusal("forbidden", "not allowed to watch project " + p);
      }
    }
    for (String s : m.sessions()) {
      Optional<SessionState> known = view.get(s);
      if (known.isPresent() && !c.principal.mayWatch(known.get().projectId())) {
        metrics.refused("forbidden");
        return new Refusal("forbidden", "session " + s
            + " belongs to a project this token does not allow");
      }
    }
    view.consistently(() -> {
      register(c, m);
      snapshot(c, m);
      return null;
    });
    return null;
  }

  private void register(Client c, ClientMessage m) {
    for (String p : m.projects()) {
      if (c.projects.add(p)) {
        byProject.computeIfAbsent(p, k -> ConcurrentHashMap.newKeySet()).add(c);
      }
    }
    for (String s : m.sessions()) {
      if (c.sessions.add(s)) {
        bySession.computeIfAbsent(s, k -> ConcurrentHashMap.newKeySet()).add(c);
      }
    }
  }

  /** Queues what the client lacks; runs inside the view's consistent cut. */
  private void snapshot(Client c, ClientMessage m) {
    Position position = view.position();
    Position since = m.since();
    Map<String, Long> have = m.have();
    if (since != null && (!view.remembersDeletionsSince(since) || ahead(since, position))) {
      c.offerLast(control("reset", Protocol.reset(m.id())));
      since = null;
      have = Map.of();
    }
    int states = 0;
    int deleted = 0;
    Set<String> sent = new HashSet<>();
    for (String p : m.projects()) {
      for (SessionState s : view.sessionsOf(p)) {
        if (sent.add(s.sessionId()) && newer(s, have, since)) {
          c.offer(stateEntry(s));
          states++;
        }
      }
    }
    for (String id : m.sessions()) {
      Optional<SessionState> s = view.get(id);
      if (s.isPresent()) {
        if (c.principal.mayWatch(s.get().projectId()) && sent.add(id)
            && newer(s.get(), have, since)) {
          c.offer(stateEntry(s.get()));
          states++;
        }
      }
    }
    for (String id : have.keySet()) {
      if (!sent.contains(id) && view.get(id).isEmpty()) {
        // a deletion in a project the client may not watch is told as "unknown", unnamed
        Optional<Tombstone> t = view.deletion(id)
            .filter(d -> c.principal.mayWatch(d.projectId()));
        c.offer(deletedEntry(id, t.map(Tombstone::projectId).orElse(null),
            t.isPresent() ? "tombstone" : "unknown", t.map(Tombstone::seq).orElse(0L)));
        sent.add(id);
        deleted++;
      }
    }
    if (since != null) {
      for (Tombstone t : view.deletions()) {
        boolean inScope = m.sessions().contains(t.sessionId())
            || (t.projectId() != null && m.projects().contains(t.projectId()));
        if (inScope && !sent.contains(t.sessionId()) && since.before(t.partition(), t.offset())
            && c.principal.mayWatch(t.projectId())) {
          c.offer(deletedEntry(t.sessionId(), t.projectId(), "tombstone", t.seq()));
          deleted++;
        }
      }
    }
    c.offerLast(control("synced", Protocol.synced(m.id(), states, deleted, position),
        position.encode()));
  }

  private static boolean ahead(Position since, Position position) {
    for (Map.Entry<Integer, Long> e : since.offsets().entrySet()) {
      if (e.getValue() > position.offset(e.getKey())) {
        return true;
      }
    }
    return false;
  }

  private static boolean newer(SessionState s, Map<String, Long> have, Position since) {
    if (since != null && !since.before(s.partition(), s.offset())) {
      return false;
    }
    Long held = have.get(s.sessionId());
    return held == null || s.version() > held || s.versionsRestarted();
  }

  private static OutboundQueue.Entry stateEntry(SessionState s) {
    return new OutboundQueue.Entry(s.sessionId(), s.seq(), Protocol.stateUtf8(s), -1, -1,
        "state", null);
  }

  private static OutboundQueue.Entry deletedEntry(String id, String project, String reason,
      long seq) {
    return new OutboundQueue.Entry(id, seq, Protocol.deleted(id, project, reason), -1, -1,
        "deleted", null);
  }

  /** A control message with a key of its own, so it never replaces a session's entry. */
  OutboundQueue.Entry control(String type, String text) {
    return control(type, text, null);
  }

  /** A control message that, on SSE, also moves the stream's event id to {@code eventId}. */
  OutboundQueue.Entry control(String type, String text, String eventId) {
    return new OutboundQueue.Entry("\u0000" + type + ":" + controlSeq.incrementAndGet(), 0, text,
        -1, -1, type, eventId);
  }
}
