package io.pgbridge.source;

/**
 * What a connection needs replayed from the tables before its stream alone is complete.
 * {@code snapshot} is set for {@link Kind#SNAPSHOT} only.
 */
public record Recovery(Kind kind, String snapshot) {

  /** How much to replay. */
  public enum Kind {
    /** Nothing: the stream is complete by itself (a healthy replication slot). */
    NONE,
    /**
     * Everything after the stored checkpoint, or every session when none is stored and
     * {@code catchup.initial=all}: a LISTEN connection misses what was sent before it.
     */
    CHECKPOINT,
    /** Everything after {@code snapshot}: a replication slot re-created after it was lost. */
    SNAPSHOT,
    /** Every session and the whole deletion log: a slot lost with no checkpoint stored. */
    ALL
  }

  public Recovery {
    if ((kind == Kind.SNAPSHOT) != (snapshot != null)) {
      throw new IllegalArgumentException("a snapshot goes with Kind.SNAPSHOT only");
    }
  }

  public static Recovery none() {
    return new Recovery(Kind.NONE, null);
  }

  public static Recovery checkpoint() {
    return new Recovery(Kind.CHECKPOINT, null);
  }

  public static Recovery from(String snapshot) {
    return new Recovery(Kind.SNAPSHOT, snapshot);
  }

  public static Recovery all() {
    return new Recovery(Kind.ALL, null);
  }
}
