package io.pgbridge.fetch;

import java.time.Instant;
import java.util.UUID;

/**
 * The latest stored state of one session: {@code rawState} is the UTF-8 text of the
 * {@code raw_state} column exactly as PostgreSQL returned it (null when the column is null).
 * {@code unchanged}: the version is not newer than the one already published, so the state was
 * not read and the row must not be published.
 */
public record SessionRow(UUID id, UUID projectId, long version, Instant updatedAt,
    byte[] rawState, boolean unchanged) {

  public SessionRow(UUID id, UUID projectId, long version, Instant updatedAt, byte[] rawState) {
    this(id, projectId, version, updatedAt, rawState, false);
  }
}
