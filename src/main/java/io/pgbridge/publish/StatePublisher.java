package io.pgbridge.publish;

import io.pgbridge.coalesce.ChangeSources;
import io.pgbridge.coalesce.DueSession;
import io.pgbridge.fetch.SessionRow;
import io.pgbridge.metrics.BridgeMetrics;
import io.pgbridge.time.Ticker;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.AuthenticationException;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.InvalidTopicException;
import org.apache.kafka.common.errors.RecordBatchTooLargeException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends one record per fetched session with an idempotent producer ({@code acks=all}) and
 * reports each session's outcome once Kafka answered. A fetched version not newer than the
 * last acknowledged one is skipped and counted. Order per key holds because a session is in
 * flight in at most one worker and records of one key go to one partition in send order.
 * Records that cannot be published for good (invalid state, too large) follow the
 * {@link ErrorPolicy} ({@code errors.tolerance}, dead letters, {@code errors.log.enable}). Called from worker threads; callbacks run on the producer's I/O
 * thread. The producer is owned by the caller.
 */
public final class StatePublisher {

  private static final Logger log = LoggerFactory.getLogger(StatePublisher.class);
  /** An INSERT on the sessions table (table 0): the session has no earlier state on the topic. */
  private static final long SESSION_INSERT = ChangeSources.bit(0, ChangeSources.Op.INSERT);
  /**
   * A missing row gets a tombstone only when something says the session existed: a DELETE on
   * the sessions table (table 0), catch-up (the deletion log), an operator's republish request,
   * or a version we published.
   * Otherwise a notification naming a random id would put a tombstone for a key that never
   * existed on the topic.
   */
  private static final long DELETION_EVIDENCE = ChangeSources.CATCHUP | ChangeSources.REQUEST
      | ChangeSources.bit(0, ChangeSources.Op.DELETE) | ChangeSources.UNROUTED_DELETE;

  private final Producer<byte[], byte[]> producer;
  private final String topic;
  private final RecordBuilder builder;
  private final ChangeSources sources;
  private final VersionCache versions;
  private final AckedOffsets offsets;
  private final BridgeMetrics metrics;
  private final PublishOutcome outcome;
  private final ErrorPolicy errors;
  private final Ticker ticker;
  private final Clock clock;
  private final AtomicInteger outstanding = new AtomicInteger();
  private final AtomicLong lastProgress;
  private final AtomicReference<String> lastError = new AtomicReference<>();
  /** A send failed since the last acknowledgement (the stall clock keeps running). */
  private volatile boolean failedSinceAck;
  /** A send failed since the last acknowledgement with an error retrying will not fix. */
  private volatile boolean refusedSinceAck;

  public StatePublisher(Producer<byte[], byte[]> producer, String topic, RecordBuilder builder,
      ChangeSources sources, VersionCache versions, AckedOffsets offsets, BridgeMetrics metrics,
      PublishOutcome outcome, ErrorPolicy errors, Ticker ticker, Clock clock) {
    this.producer = producer;
    this.topic = topic;
    this.builder = builder;
    this.sources = sources;
    this.versions = versions;
    this.offsets = offsets;
    this.metrics = metrics;
    this.outcome = outcome;
    this.errors = errors;
    this.ticker = ticker;
    this.clock = clock;
    this.lastProgress = new AtomicLong(ticker.nanos());
  }

  /**
   * The version already acknowledged for {@code session}, to fetch its state only if newer;
   * null when unknown or when the session must be published again regardless (settle pass).
   */
  public Long knownVersion(DueSession session) {
    if ((session.sources() & ChangeSources.REPUBLISH) != 0) {
      return null;
    }
    Long last = versions.get(session.id());
    return last == null || last == VersionCache.TOMBSTONE ? null : last;
  }

  /**
   * Publishes {@code batch}, whose current rows are {@code rows} (absent = deleted), read by a
   * fetch that started at {@code fetchStarted} (ticker nanos).
   */
  public void publish(List<DueSession> batch, Map<UUID, SessionRow> rows, long fetchStarted) {
    for (DueSession session : batch) {
      SessionRow row = rows.get(session.id());
      Long last = (session.sources() & ChangeSources.REPUBLISH) != 0 ? null
          : versions.get(session.id());
      if (alreadyPublished(session, row, last)) {
        metrics.skipped().increment();
        outcome.unchanged(session);
        continue;
      }
      String why = sources.describe(session.sources());
      StateRecord record;
      if (row == null) {
        record = builder.tombstone(session.id(), why);
      } else {
        try {
          record = builder.build(row, why);
        } catch (InvalidStateException e) {
          metrics.error("invalid_state");
          unpublishable(session, row, row.rawState(), builder.headers(row, why),
              DeadLetters.Stage.VALUE_CONVERTER, e);
          continue;
        }
      }
      // a record for a session whose last published version is unknown (the first since
      // start or takeover, a republish) may only repeat what the topic holds; a session
      // inserted since has no earlier state there, its record is new
      boolean newState = last != null || (session.sources() & SESSION_INSERT) != 0;
      send(session, row, record, newState, fetchStarted);
    }
  }

  private void send(DueSession session, SessionRow row, StateRecord record,
      boolean followsKnownVersion, long fetchStarted) {
    ProducerRecord<byte[], byte[]> producerRecord = toProducerRecord(topic, record);
    long sentAt = ticker.nanos();
    // an idle producer starts its stall clock with this send; after a failure it keeps running,
    // or every retry after a delivery timeout would look like a fresh start (ready again for
    // 15 s during a long Kafka outage)
    if (outstanding.getAndIncrement() == 0 && !failedSinceAck) {
      lastProgress.set(sentAt);
    }
    try {
      producer.send(producerRecord, (metadata, error) -> {
        outstanding.decrementAndGet();
        if (error == null) {
          // before the session completes: a checkpoint stored once the watermark passes its
          // change must see the offset of this record
          if (offsets.acknowledged(metadata.partition(), metadata.offset())) {
            log.warn("topic {} partition {} acknowledged offset {}, below an earlier one: the"
                + " topic was deleted and created again. Sessions not published since are"
                + " missing from it: run `pgbridge republish --all`; heartbeats carry no"
                + " publishedUpTo until a republish of all sessions has finished", topic,
                metadata.partition(), metadata.offset());
          }
          acknowledged(session, row, fetchStarted, sentAt, followsKnownVersion);
        } else {
          failed(session, row, record, error);
        }
      });
    } catch (RuntimeException e) {
      outstanding.decrementAndGet();
      failed(session, row, record, e);
    }
  }

  private void acknowledged(DueSession session, SessionRow row, long fetchStarted, long sentAt,
      boolean followsKnownVersion) {
    long now = ticker.nanos();
    lastProgress.set(now);
    failedSinceAck = false;
    refusedSinceAck = false;
    metrics.acknowledged(now);
    // the stages of this record's lag: waiting (window, worker), fetch and build, produce
    metrics.notificationToFetch().record(Math.max(0, fetchStarted - session.firstReceivedNanos()),
        TimeUnit.NANOSECONDS);
    metrics.produceDuration().record(now - sentAt, TimeUnit.NANOSECONDS);
    metrics.notificationLag().record(Math.max(0, now - session.firstReceivedNanos()),
        TimeUnit.NANOSECONDS);
    if (row == null) {
      versions.acknowledged(session.id(), VersionCache.TOMBSTONE);
      metrics.tombstones().increment();
    } else {
      versions.acknowledged(session.id(), row.version());
      metrics.published().increment();
      if (row.updatedAt() != null) {
        long lagMillis = clock.millis() - row.updatedAt().toEpochMilli();
        metrics.commitLag().record(Math.max(0, lagMillis), TimeUnit.MILLISECONDS);
      }
    }
    if (followsKnownVersion) {
      outcome.done(session);
    } else {
      outcome.refreshed(session);
    }
  }

  private void failed(DueSession session, SessionRow row, StateRecord record, Exception error) {
    failedSinceAck = true;
    if (error instanceof RecordTooLargeException || error instanceof RecordBatchTooLargeException
        || error instanceof SerializationException) {
      metrics.error("record_too_large");
      unpublishable(session, row, record.value(), record.headers(),
          DeadLetters.Stage.KAFKA_PRODUCE, error);
    } else if (error instanceof AuthorizationException
        || error instanceof AuthenticationException || error instanceof InvalidTopicException) {
      metrics.error("kafka_fatal");
      lastError.set(describe(error));
      outcome.fatal(session, new UnpublishableSessionException(session.id(), "Kafka refused"
          + " session " + session.id() + " on topic '" + topic + "' (" + describe(error)
          + "): check kafka.security.protocol, the kafka.sasl.* settings and the topic's"
          + " ACLs", error));
    } else {
      boolean retriable = error instanceof RetriableException;
      metrics.error(retriable ? "kafka_retriable" : "kafka");
      lastError.set(describe(error));
      // not about this record, and not retriable: the producer itself refuses (a fatal
      // state, an unsupported broker); still retried, but not ready
      refusedSinceAck |= !retriable;
      outcome.retry(session, error);
    }
  }

  /** A record that can never be published: stop, or dead-letter and go on. */
  private void unpublishable(DueSession session, SessionRow row, byte[] value,
      List<StateRecord.Header> headers, DeadLetters.Stage stage, Exception error) {
    if (!errors.tolerateAll()) {
      lastError.set(describe(error));
      outcome.fatal(session, new UnpublishableSessionException(session.id(), "session "
          + session.id() + " cannot be published (" + describe(error) + ") and"
          + " errors.tolerance=none: stopping, nothing past it is checkpointed. "
          + (tooLarge(error) ? "Raise kafka.max.request.size (and the topic's max.message.bytes)"
              + " or shrink the state" : "Fix the row")
          + ", or set errors.tolerance=all with errors.deadletterqueue.topic.name", error));
      return;
    }
    DeadLetters deadLetters = errors.deadLetters();
    if (errors.logErrors()) {
      // never the value: states hold the platform's user data
      log.error("session {} (version {}) cannot be published to topic {}: stage {}, {};"
          + " errors.tolerance=all: {}", session.id(), row == null ? "tombstone" : row.version(),
          topic, stage, describe(error), deadLetters == null ? "dropped"
              : "sent to dead letter topic " + deadLetters.topic(), error);
    }
    long version = row == null ? VersionCache.TOMBSTONE : row.version();
    if (deadLetters == null) {
      metrics.deadLettered().increment();
      versions.acknowledged(session.id(), version);
      outcome.done(session);
      return;
    }
    ProducerRecord<byte[], byte[]> dlq = deadLetters.letter(session.id(), value, headers, stage,
        error, tooLarge(error));
    try {
      producer.send(dlq, (metadata, dlqError) -> {
        if (dlqError == null) {
          metrics.deadLettered().increment();
          versions.acknowledged(session.id(), version);
          outcome.done(session);
        } else {
          metrics.error("deadletter");
          outcome.retry(session, dlqError);
        }
      });
    } catch (RuntimeException e) {
      metrics.error("deadletter");
      outcome.retry(session, e);
    }
  }

  private static boolean tooLarge(Exception error) {
    return error instanceof RecordTooLargeException
        || error instanceof RecordBatchTooLargeException;
  }

  /** True when the topic already holds this state (or, for a missing row, needs nothing). */
  private static boolean alreadyPublished(DueSession session, SessionRow row, Long last) {
    if (row == null) {
      boolean tombstoned = last != null && last == VersionCache.TOMBSTONE;
      boolean neverExisted = last == null && (session.sources() & DELETION_EVIDENCE) == 0;
      return tombstoned || neverExisted;
    }
    if (row.unchanged()) {
      return true;
    }
    return last != null && last != VersionCache.TOMBSTONE && row.version() <= last;
  }

  static ProducerRecord<byte[], byte[]> toProducerRecord(String topic, StateRecord record) {
    RecordHeaders headers = new RecordHeaders();
    for (StateRecord.Header h : record.headers()) {
      headers.add(h.key(), h.value());
    }
    return new ProducerRecord<>(topic, null, record.key(), record.value(), headers);
  }

  /**
   * True when sends are outstanding or failed, and none was acknowledged for
   * {@code thresholdNanos}.
   */
  public boolean stalled(long thresholdNanos) {
    return (outstanding.get() > 0 || failedSinceAck)
        && ticker.nanos() - lastProgress.get() > thresholdNanos;
  }

  /**
   * False while the producer refuses every send with an error that is not about the record
   * and that retrying does not fix (it is in a fatal state); true again after an
   * acknowledgement.
   */
  public boolean producing() {
    return !refusedSinceAck;
  }

  public int outstanding() {
    return outstanding.get();
  }

  /** The last Kafka error, for /status; null if none yet. */
  public String lastError() {
    return lastError.get();
  }

  private static String describe(Throwable e) {
    return e.getClass().getSimpleName() + ": " + e.getMessage();
  }
}
