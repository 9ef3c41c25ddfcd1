package io.pgbridge.source.wal;

/**
 * The stream is well formed but the database objects do not give the bridge what it routes
 * by: the publication sends no {@code id} or {@code session_id} column, or a sessions change
 * comes without its id (the replica identity lacks it). Reconnecting would receive the same
 * change again: fatal, naming {@code pgbridge migrate --source-mode wal}.
 */
public final class WalConfigurationException extends WalProtocolException {

  public WalConfigurationException(String message) {
    super(message + ": run `pgbridge migrate --source-mode wal`, then `pgbridge check`");
  }
}
