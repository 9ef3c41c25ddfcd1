package io.pgbridge.publish;

import java.util.UUID;

/**
 * Why the bridge stopped on one session: the message names the session, what Kafka or the
 * record format refused, and the setting that decides or fixes it, so that the operator needs
 * nothing but this line ({@code /status}, the exit log). The original error is the cause.
 */
public final class UnpublishableSessionException extends Exception {

  private final UUID sessionId;

  public UnpublishableSessionException(UUID sessionId, String message, Throwable cause) {
    super(message, cause);
    this.sessionId = sessionId;
  }

  public UUID sessionId() {
    return sessionId;
  }
}
