package io.pgbridge.demo;

import java.util.Arrays;
import java.util.concurrent.TimeUnit;

/**
 * Every latency measured by the demo, kept exactly (a run records tens of thousands at most),
 * with percentiles by nearest rank over a sorted copy. One thread records, any thread may ask
 * for percentiles while it does; a short lock guards the array. No lifecycle.
 */
final class LatencySamples {

  private long[] nanos = new long[4096];
  private int size;

  synchronized void record(long latencyNanos) {
    if (size == nanos.length) {
      nanos = Arrays.copyOf(nanos, size * 2);
    }
    nanos[size++] = latencyNanos;
  }

  synchronized int count() {
    return size;
  }

  /** Percentiles in milliseconds for each of {@code quantiles} (0..1); empty if no sample. */
  double[] millis(double... quantiles) {
    long[] sorted;
    synchronized (this) {
      sorted = Arrays.copyOf(nanos, size);
    }
    if (sorted.length == 0) {
      return new double[0];
    }
    Arrays.sort(sorted);
    double[] out = new double[quantiles.length];
    for (int i = 0; i < quantiles.length; i++) {
      int rank = (int) Math.ceil(quantiles[i] * sorted.length);
      long v = sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
      out[i] = v / (double) TimeUnit.MILLISECONDS.toNanos(1);
    }
    return out;
  }
}
