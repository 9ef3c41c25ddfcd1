package io.pgbridge.publish;

/** A stored state that cannot be published in the configured format (e.g. not JSON). */
public final class InvalidStateException extends Exception {

  public InvalidStateException(String message, Throwable cause) {
    super(message, cause);
  }
}
