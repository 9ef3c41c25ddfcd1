package io.pgbridge.source.wal;

import java.sql.SQLException;
import org.postgresql.replication.LogSequenceNumber;

/**
 * What a change the source cannot process becomes. A configuration error is fatal at once.
 * A protocol error is transient the first time (the position is not confirmed, so the server
 * sends the message again after a reconnect: a cut connection or a passing fault heals); the
 * same error position again is fatal, so that a poison message does not loop forever.
 * Remembers across connections; the source's thread.
 */
final class StreamFailures {

  /** Transient: reconnect and receive it again. */
  static final String TRANSIENT = "08P01";
  /** Fatal: {@link io.pgbridge.connection.SqlErrors#isTransient} says no. */
  static final String FATAL = "55000";

  private long lastFailedLsn = -1;

  SQLException classify(WalProtocolException e, long lsn) {
    String at = LogSequenceNumber.valueOf(lsn).asString();
    if (e instanceof WalConfigurationException) {
      return new SQLException("replication stream at " + at + ": " + e.getMessage(), FATAL, e);
    }
    if (lsn == lastFailedLsn) {
      return new SQLException("pgoutput protocol error at " + at + " again after reconnecting,"
          + " the bridge stops rather than loop: " + e.getMessage(), FATAL, e);
    }
    lastFailedLsn = lsn;
    return new SQLException("pgoutput protocol error at " + at + ": " + e.getMessage(),
        TRANSIENT, e);
  }
}
