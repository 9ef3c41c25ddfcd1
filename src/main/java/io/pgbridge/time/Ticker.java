package io.pgbridge.time;

/**
 * A monotonic nanosecond source, injected wherever logic depends on elapsed time so that
 * tests drive it by hand instead of sleeping. {@link #SYSTEM} reads {@link System#nanoTime()}.
 */
@FunctionalInterface
public interface Ticker {

  Ticker SYSTEM = System::nanoTime;

  long nanos();
}
