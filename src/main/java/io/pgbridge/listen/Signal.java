package io.pgbridge.listen;

import io.pgbridge.coalesce.ChangeSources;
import io.pgbridge.coalesce.ChangeSources.Op;
import java.util.UUID;

/** What one notification payload means: a row change, a checkpoint barrier, or garbage. */
public sealed interface Signal {

  /** A row of table number {@code tableIndex} changed by {@code op}. */
  record Change(UUID sessionId, int tableIndex, Op op) implements Signal {

    /** The {@link ChangeSources} bit of this change. */
    public long source() {
      return ChangeSources.bit(tableIndex, op);
    }
  }

  /** A checkpoint barrier sent by a bridge (possibly another one) on the channel. */
  record Barrier(String id) implements Signal {}

  /** A payload that is not one of ours; {@code reason} is a short metric tag. */
  record Malformed(String reason, String detail) implements Signal {}
}
