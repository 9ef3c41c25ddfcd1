package io.pgbridge.coalesce;

import java.util.UUID;

/**
 * A session handed to a worker: its id, what made it dirty, and when the oldest change it
 * covers was received (ticker nanos), for the notification-to-ack lag.
 */
public record DueSession(UUID id, long sources, long firstReceivedNanos) {}
