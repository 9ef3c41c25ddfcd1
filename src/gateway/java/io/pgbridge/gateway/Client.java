package io.pgbridge.gateway;

import io.pgbridge.gateway.auth.Principal;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One connected watcher (a WebSocket or an SSE stream) with what it subscribed to and its
 * {@link OutboundQueue}. Changes are offered from the consumer thread (and subscribe snapshots
 * from request threads) and never block: at most one write is in flight per client (all that
 * waits, up to a batch, in one write), and the next is started from the send executor when it
 * completes. A client so slow that its queue
 * fills is disconnected instead of growing memory. Subclasses write one message to their
 * transport and close it.
 */
abstract class Client {

  private static final Logger log = LoggerFactory.getLogger(Client.class);
  static final int BATCH_MESSAGES = 32;
  static final int BATCH_BYTES = 64 * 1024;

  final long id;
  final Principal principal;
  final Set<String> projects = ConcurrentHashMap.newKeySet();
  final Set<String> sessions = ConcurrentHashMap.newKeySet();
  private final OutboundQueue queue;
  private final ReentrantLock lock = new ReentrantLock();
  private final Executor sender;
  private final GatewayMetrics metrics;
  private final LongSupplier clockMs;
  private boolean sending;
  private volatile boolean closed;
  private Consumer<Client> onClose = c -> { };

  Client(long id, Principal principal, int queueMax, Executor sender, GatewayMetrics metrics,
      LongSupplier clockMs) {
    this.id = id;
    this.principal = principal;
    this.queue = new OutboundQueue(queueMax);
    this.sender = sender;
    this.metrics = metrics;
    this.clockMs = clockMs;
  }

  abstract String transport();

  /**
   * Writes the messages in order, as one write where the transport can; exactly one of
   * {@code done} (all were written) or {@code failed} runs, once.
   */
  abstract void write(List<OutboundQueue.Entry> entries, Runnable done,
      Consumer<Throwable> failed);

  /** Closes the transport with a reason (WebSocket close code, or the end of the SSE stream). */
  abstract void closeTransport(int code, String reason);

  void onClose(Consumer<Client> action) {
    this.onClose = action;
  }

  int subscriptionCount() {
    return projects.size() + sessions.size();
  }

  boolean closed() {
    return closed;
  }

  /** Queues a session's state, deletion or other keyed message; newer replaces waiting. */
  void offer(OutboundQueue.Entry entry) {
    if (closed) {
      return;
    }
    OutboundQueue.Offer result;
    lock.lock();
    try {
      result = queue.offer(entry);
    } finally {
      lock.unlock();
    }
    switch (result) {
      case REPLACED -> metrics.skipped.increment();
      case FULL -> {
        metrics.dropped("queue_full");
        close(1013, "too far behind: more than the queue holds is waiting; reconnect");
        return;
      }
      default -> { }
    }
    kick();
  }

  /** Queues a control message (heartbeat, synced) after everything waiting. */
  void offerLast(OutboundQueue.Entry entry) {
    if (closed) {
      return;
    }
    lock.lock();
    try {
      queue.offerLast(entry);
    } finally {
      lock.unlock();
    }
    kick();
  }

  private void kick() {
    lock.lock();
    try {
      if (sending || closed) {
        return;
      }
      sending = true;
    } finally {
      lock.unlock();
    }
    schedule();
  }

  private void schedule() {
    try {
      sender.execute(this::sendNext);
    } catch (RejectedExecutionException e) {
      close(1011, "gateway stopping");
    }
  }

  /**
   * Writes what is waiting: all of it that fits one batch ({@value #BATCH_MESSAGES} messages,
   * {@value #BATCH_BYTES} bytes) goes out as one socket write, so a client with several
   * messages waiting costs one write and one completion, not one each. A write that completes
   * at once (the socket took it) goes straight on to the next batch in this task; one that
   * completes later schedules a new task from its callback. So a client with more waiting does
   * not go to the back of the executor's queue after each write, behind every other client.
   */
  private void sendNext() {
    while (true) {
      List<OutboundQueue.Entry> batch;
      lock.lock();
      try {
        batch = closed ? List.of() : queue.drain(BATCH_MESSAGES, BATCH_BYTES);
        if (batch.isEmpty()) {
          sending = false;
          return;
        }
      } finally {
        lock.unlock();
      }
      List<OutboundQueue.Entry> written = batch;
      // 0: in flight; 1: completed inside write(); 2: write() returned first
      AtomicInteger state = new AtomicInteger();
      try {
        write(written, () -> {
          long now = clockMs.getAsLong();
          for (OutboundQueue.Entry entry : written) {
            metrics.sent(entry.type());
            if (entry.recordTimestampMs() > 0) {
              metrics.sendLag(now - entry.recordTimestampMs());
            }
            if (entry.receivedMs() > 0) {
              metrics.fanoutLag(now - entry.receivedMs());
            }
          }
          if (!state.compareAndSet(0, 1)) {
            schedule();
          }
        }, failure -> {
          log.debug("Write to client {} failed: {}", id, failure.toString());
          metrics.dropped("send_failed");
          close(1011, "write failed");
        });
      } catch (RuntimeException e) {
        metrics.dropped("send_failed");
        close(1011, "write failed");
        return;
      }
      if (state.compareAndSet(0, 2)) {
        return;
      }
    }
  }

  /** Closes once: drops what is waiting, closes the transport, unregisters. */
  void close(int code, String reason) {
    lock.lock();
    try {
      if (closed) {
        return;
      }
      closed = true;
      queue.clear();
    } finally {
      lock.unlock();
    }
    try {
      closeTransport(code, reason);
    } catch (RuntimeException e) {
      log.debug("closing client {}", id, e);
    }
    onClose.accept(this);
  }

  /** The transport went away by itself (peer closed, network): unregister. */
  void closedByPeer() {
    lock.lock();
    try {
      if (closed) {
        return;
      }
      closed = true;
      queue.clear();
    } finally {
      lock.unlock();
    }
    onClose.accept(this);
  }
}
