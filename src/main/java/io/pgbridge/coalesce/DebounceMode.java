package io.pgbridge.coalesce;

/**
 * When a dirty session becomes due, given {@code debounce.ms} (the window) and
 * {@code debounce.max.ms} (the ceiling).
 *
 * <ul>
 *   <li>{@link #LEADING}: a change to a session that published no record within the last
 *       window is due at once; changes that arrive while a window is open (it opens when a
 *       flight that publishes a record is taken) merge into one record due when that window
 *       ends. A quiet session's change goes out without waiting; a hot session yields at most
 *       one record per window.
 *   <li>{@link #TRAILING}: a session is due once no change arrived for a window, or a ceiling
 *       after its first unpublished change. Every change waits at least the window.
 * </ul>
 */
public enum DebounceMode { LEADING, TRAILING }
