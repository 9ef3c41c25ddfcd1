package io.pgbridge.gateway;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What waits to be sent to one client: at most one entry per key (a session id, or a control
 * key such as the heartbeat), in the order keys first arrived. A newer state of a session that
 * is still waiting replaces the waiting one in place (the client skips the intermediate
 * version); an older one is ignored. Bounded by {@code maxEntries}: an offer beyond it is
 * refused, and the owner disconnects the client (it resumes on reconnect). Not thread-safe: the
 * owning {@link Client} guards it.
 */
final class OutboundQueue {

  /**
   * One message to send. {@code recordTimestampMs} (the record's append) and {@code receivedMs}
   * (when the gateway's consumer applied it) are -1 for snapshot and control messages.
   */
  record Entry(String key, long seq, String text, long recordTimestampMs, long receivedMs,
      String type, String eventId) {}

  enum Offer {
    ADDED, REPLACED, IGNORED, FULL
  }

  private final LinkedHashMap<String, Entry> entries = new LinkedHashMap<>();
  private final int maxEntries;

  OutboundQueue(int maxEntries) {
    this.maxEntries = maxEntries;
  }

  Offer offer(Entry e) {
    Entry waiting = entries.get(e.key());
    if (waiting != null) {
      if (e.seq() <= waiting.seq()) {
        return Offer.IGNORED;
      }
      entries.put(e.key(), e);
      return Offer.REPLACED;
    }
    if (entries.size() >= maxEntries) {
      return Offer.FULL;
    }
    entries.put(e.key(), e);
    return Offer.ADDED;
  }

  /** Puts a control message last, replacing a waiting one with the same key. */
  void offerLast(Entry e) {
    entries.remove(e.key());
    entries.put(e.key(), e);
  }

  Entry poll() {
    Iterator<Map.Entry<String, Entry>> it = entries.entrySet().iterator();
    if (!it.hasNext()) {
      return null;
    }
    Entry e = it.next().getValue();
    it.remove();
    return e;
  }

  int size() {
    return entries.size();
  }

  void clear() {
    entries.clear();
  }
}
