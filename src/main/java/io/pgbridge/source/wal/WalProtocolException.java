package io.pgbridge.source.wal;

/**
 * The replication stream sent something this bridge cannot read as pgoutput protocol 1: a
 * message cut short, an unknown message type or tuple kind, a change of a relation whose
 * {@code Relation} message never came, a change outside a transaction. Never skipped: the
 * position it came at is not confirmed, so the server sends it again after a reconnect, and
 * the error is counted as {@value #KIND}. A {@link WalConfigurationException} is fatal.
 */
public class WalProtocolException extends Exception {

  /** The {@code kind} of {@code pgbridge_errors_total} these errors count as. */
  public static final String KIND = "wal_protocol";

  public WalProtocolException(String message) {
    super(message);
  }

  public WalProtocolException(String message, Throwable cause) {
    super(message, cause);
  }
}
