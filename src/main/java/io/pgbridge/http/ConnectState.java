package io.pgbridge.http;

import io.pgbridge.BridgeState.Role;

/**
 * The {@code state} of {@code /status} in Kafka Connect's vocabulary, so that people and tools
 * that read Connect's {@code /connectors/NAME/status} read pgbridge's the same way. Pure.
 *
 * <ul>
 *   <li>{@code RUNNING}: the leader, listening and publishing;
 *   <li>{@code PAUSED}: the leader while it stops: it takes no new changes and publishes what
 *       it holds, then hands over (Connect's pause: deliberate, not processing new input);
 *   <li>{@code UNASSIGNED}: holds no leader lock: a standby, or an instance still starting or
 *       reconnecting (Connect: not assigned to a worker yet);
 *   <li>{@code FAILED}: stopped by an error, with its {@code trace};
 *   <li>{@code STOPPED}: stopped on request (Connect 3.5's stopped connector).
 * </ul>
 */
public enum ConnectState {
  RUNNING, PAUSED, UNASSIGNED, FAILED, STOPPED;

  public static ConnectState of(Role role) {
    return switch (role) {
      case LEADER -> RUNNING;
      case STOPPING -> PAUSED;
      case STARTING, STANDBY -> UNASSIGNED;
      case FAILED -> FAILED;
      case STOPPED -> STOPPED;
    };
  }
}
