package io.pgbridge.consumer;

/**
 * Receives every change a {@link StateView} makes, on the consumer thread, in topic order per
 * session. Must not block: hand the change to a queue of your own (the gateway does).
 */
@FunctionalInterface
public interface StateListener {

  void onChange(Change change);
}
