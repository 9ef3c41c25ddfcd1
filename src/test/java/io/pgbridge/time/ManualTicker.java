package io.pgbridge.time;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A {@link Ticker} that moves only when a test says so, so that time-dependent logic is tested
 * without sleeping. A stepping ticker also moves by a fixed step on every read, which lets
 * concurrency tests make progress through windows and timeouts without a wall clock.
 * Thread-safe: workers may read it while the test thread advances it.
 */
public final class ManualTicker implements Ticker {

    private final AtomicLong nanos;
    private final long stepNanos;

    public ManualTicker() {
        this(0);
    }

    public ManualTicker(long startNanos) {
        this(startNanos, 0);
    }

    private ManualTicker(long startNanos, long stepNanos) {
        this.nanos = new AtomicLong(startNanos);
        this.stepNanos = stepNanos;
    }

    /** A ticker that advances by {@code step} after every read. */
    public static ManualTicker stepping(Duration step) {
        return new ManualTicker(0, step.toNanos());
    }

    @Override
    public long nanos() {
        return nanos.getAndAdd(stepNanos);
    }

    public void advance(Duration by) {
        if (by.isNegative()) {
            throw new IllegalArgumentException("a monotonic ticker cannot go back: " + by);
        }
        nanos.addAndGet(by.toNanos());
    }

    public void advanceMillis(long millis) {
        advance(Duration.ofMillis(millis));
    }
}
