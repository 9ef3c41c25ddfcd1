package io.pgbridge.time;

import java.util.concurrent.TimeUnit;
import java.util.function.DoubleSupplier;

/**
 * Capped exponential backoff with full jitter: attempt n waits a random time in
 * [base*2^(n-1)/2, base*2^(n-1)], never more than the cap. Randomness is injected so tests
 * can pin it. Immutable and thread-safe.
 */
public final class Backoff {

  private final long baseNanos;
  private final long maxNanos;
  private final DoubleSupplier random;

  public Backoff(long baseMs, long maxMs, DoubleSupplier random) {
    if (baseMs <= 0 || maxMs < baseMs) {
      throw new IllegalArgumentException("need 0 < base <= max, got " + baseMs + ", " + maxMs);
    }
    this.baseNanos = TimeUnit.MILLISECONDS.toNanos(baseMs);
    this.maxNanos = TimeUnit.MILLISECONDS.toNanos(maxMs);
    this.random = random;
  }

  /** Delay before retry number {@code attempt} (1-based). */
  public long delayNanos(int attempt) {
    int shift = Math.min(Math.max(attempt, 1) - 1, 40);
    // compare before shifting: base << shift can overflow to any value, even a small positive one
    long ceiling = baseNanos > (maxNanos >> shift) ? maxNanos : baseNanos << shift;
    long half = ceiling / 2;
    return half + (long) (random.getAsDouble() * (ceiling - half));
  }

  public long delayMillis(int attempt) {
    return TimeUnit.NANOSECONDS.toMillis(delayNanos(attempt));
  }
}
