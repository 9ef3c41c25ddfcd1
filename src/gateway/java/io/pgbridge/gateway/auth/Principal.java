package io.pgbridge.gateway.auth;

import java.time.Instant;
import java.util.Set;

/**
 * Who a client is and what it may watch, as an {@link Authenticator} established it at connect
 * time. Immutable.
 *
 * @param subject for logs and metrics only (the token's sub, or "anonymous")
 * @param projects project ids the client may watch (ignored when {@code allProjects})
 * @param expiresAt when the credential stops being valid (the gateway then closes the
 *     connection so the client reconnects with a fresh one); null for never
 */
public record Principal(String subject, Set<String> projects, boolean allProjects,
    Instant expiresAt) {

  public Principal {
    projects = Set.copyOf(projects);
  }

  public static Principal anonymousWithEveryProject() {
    return new Principal("anonymous", Set.of(), true, null);
  }

  public boolean mayWatch(String projectId) {
    return allProjects || (projectId != null && projects.contains(projectId));
  }
}
