package io.pgbridge.fetch;

import java.time.Instant;
import java.util.UUID;

/**
 * The latest stored state of one session: {@code rawState} is the UTF-8 text of the
 * {@code raw_state} column exactly as PostgreSQL returned it (null when the column is null).
 */
public record SessionRow(UUID id, UUID projectId, long version, Instant updatedAt,
    byte[] rawState) {}
