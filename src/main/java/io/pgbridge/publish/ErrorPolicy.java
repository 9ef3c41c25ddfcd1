package io.pgbridge.publish;

/**
 * What happens to a record that can never be published (invalid state, too large), with Kafka
 * Connect's settings and meaning: {@code errors.tolerance} ({@code tolerateAll}), the dead
 * letter topic ({@code deadLetters}, null when records are dropped after counting) and
 * {@code errors.log.enable} ({@code logErrors}: log every tolerated error, not only the ones
 * that stop the bridge).
 */
public record ErrorPolicy(boolean tolerateAll, DeadLetters deadLetters, boolean logErrors) {}
