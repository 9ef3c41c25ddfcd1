package io.pgbridge.republish;

import java.util.List;
import java.util.UUID;

/**
 * One row of {@code pgbridge_republish_requests}: what to republish ({@code scope} with its
 * project or session ids), its state ({@code pending}, {@code running}, {@code done}), the
 * instance that took it, and how far it got: every session with an id up to
 * {@code doneThrough} (null: none yet) has been republished and acknowledged,
 * {@code republished} of them so far.
 */
public record RepublishRequest(long id, Scope scope, UUID projectId, List<UUID> sessionIds,
    String state, String takenBy, UUID doneThrough, long republished) {

  /** What a request covers. */
  public enum Scope {
    ALL, PROJECT, SESSIONS;

    public String sqlName() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }

    static Scope of(String sqlName) {
      return valueOf(sqlName.toUpperCase(java.util.Locale.ROOT));
    }
  }

  public RepublishRequest {
    sessionIds = sessionIds == null ? List.of() : List.copyOf(sessionIds);
  }

  public boolean done() {
    return "done".equals(state);
  }

  /** "all sessions", "project ID", "3 session(s)". */
  public String describe() {
    return switch (scope) {
      case ALL -> "all sessions";
      case PROJECT -> "the sessions of project " + projectId;
      case SESSIONS -> sessionIds.size() + " session(s)";
    };
  }
}
