package io.pgbridge.cli;

/** Process exit codes, documented in the README and in {@code pgbridge --help}. */
public final class ExitCodes {

  /** Finished normally, or stopped by SIGTERM/Ctrl-C after publishing what was in flight. */
  public static final int OK = 0;
  /** Failed at run time: unrecoverable database or Kafka error, or unpublishable record. */
  public static final int FAILURE = 1;
  /** Bad configuration or command line; nothing was connected. */
  public static final int BAD_CONFIG = 2;
  /** {@code check} or start-up found the database or Kafka unusable (unreachable, auth, schema). */
  public static final int UNAVAILABLE = 3;
  /** {@code republish --wait} gave up before the request was done; it stays queued. */
  public static final int NOT_FINISHED = 4;

  private ExitCodes() {}
}
