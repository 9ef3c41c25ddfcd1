package io.pgbridge.listen;

import java.util.UUID;

/** What one notification payload means: a row change, a checkpoint barrier, or garbage. */
public sealed interface Signal {

  /** A row of one of our tables changed; {@code source} is a {@code ChangeSources} bit. */
  record Change(UUID sessionId, long source) implements Signal {}

  /** A checkpoint barrier sent by a bridge (possibly another one) on the channel. */
  record Barrier(String id) implements Signal {}

  /** A payload that is not one of ours; {@code reason} is a short metric tag. */
  record Malformed(String reason, String detail) implements Signal {}
}
