package io.pgbridge.gateway;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
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
   * One message to send, as UTF-8 ({@code utf8}: built once and shared by every client the
   * message goes to; never modified). {@code recordTimestampMs} (the record's append) and
   * {@code receivedMs} (when the gateway's consumer applied it) are -1 for snapshot and control
   * messages.
   */
  record Entry(String key, long seq, byte[] utf8, long recordTimestampMs, long receivedMs,
      String type, String eventId) {

    Entry(String key, long seq, String text, long recordTimestampMs, long receivedMs,
        String type, String eventId) {
      this(key, seq, text.getBytes(StandardCharsets.UTF_8), recordTimestampMs, receivedMs, type,
          eventId);
    }

    /** The message as text (decoded again: for tests and transports that need a String). */
    String text() {
      return new String(utf8, StandardCharsets.UTF_8);
    }
  }

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

  /**
   * Takes the oldest entries for one write: at least one (if any wait), then more while there
   * are fewer than {@code maxEntries} and their UTF-8 sizes stay within {@code maxBytes}.
   */
  List<Entry> drain(int maxEntries, int maxBytes) {
    List<Entry> out = new ArrayList<>(Math.min(maxEntries, Math.max(1, entries.size())));
    Iterator<Map.Entry<String, Entry>> it = entries.entrySet().iterator();
    int bytes = 0;
    while (it.hasNext() && out.size() < maxEntries) {
      Entry e = it.next().getValue();
      if (!out.isEmpty() && bytes + e.utf8().length > maxBytes) {
        break;
      }
      bytes += e.utf8().length;
      out.add(e);
      it.remove();
    }
    return out;
  }

  int size() {
    return entries.size();
  }

  void clear() {
    entries.clear();
  }
}
