package io.pgbridge.source.notify;

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

  /**
   * A well-formed row change of a table that is not configured: {@code table} is what the
   * payload named (null when absent). Its session is still routed by id.
   */
  record Unrouted(UUID sessionId, String table, Op op) implements Signal {

    /** The {@link ChangeSources} bits of this change. */
    public long source() {
      return ChangeSources.UNROUTED | (op == Op.DELETE ? ChangeSources.UNROUTED_DELETE : 0);
    }
  }

  /** A checkpoint barrier sent by a bridge (possibly another one) on the channel. */
  record Barrier(String id) implements Signal {}

  /** A payload that is not one of ours; {@code reason} is a short metric tag. */
  record Malformed(String reason, String detail) implements Signal {}
}
