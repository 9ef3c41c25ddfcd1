package io.pgbridge.time;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class BackoffTest {

    private static long ms(long millis) {
        return TimeUnit.MILLISECONDS.toNanos(millis);
    }

    @Test
    void growsExponentiallyFromTheBase() {
        Backoff b = new Backoff(100, 100_000, () -> 1.0);
        assertThat(b.delayNanos(1)).isEqualTo(ms(100));
        assertThat(b.delayNanos(2)).isEqualTo(ms(200));
        assertThat(b.delayNanos(3)).isEqualTo(ms(400));
        assertThat(b.delayNanos(8)).isEqualTo(ms(12_800));
        assertThat(b.delayMillis(4)).isEqualTo(800);
    }

    @Test
    void isCappedAtTheMaximum() {
        Backoff b = new Backoff(100, 1_000, () -> 1.0);
        assertThat(b.delayNanos(4)).isEqualTo(ms(800));
        assertThat(b.delayNanos(5)).isEqualTo(ms(1_000));
        assertThat(b.delayNanos(1_000)).isEqualTo(ms(1_000));
        assertThat(b.delayNanos(Integer.MAX_VALUE)).isEqualTo(ms(1_000));
    }

    @Test
    void staysAtTheCapForEveryAttemptWhateverTheBase() {
        // base << attempt overflows long for large attempts; the cap must still hold
        for (long base : new long[] {1, 7, 10, 20, 100, 200, 262_144, 524_288, 600_000}) {
            Backoff b = new Backoff(base, 3_600_000, () -> 1.0);
            long previous = 0;
            for (int attempt = 1; attempt <= 80; attempt++) {
                long d = b.delayNanos(attempt);
                assertThat(d).as("base %d attempt %d", base, attempt)
                        .isGreaterThanOrEqualTo(previous).isLessThanOrEqualTo(ms(3_600_000));
                previous = d;
            }
            assertThat(previous).as("base %d", base).isEqualTo(ms(3_600_000));
        }
    }

    @Test
    void jitterStaysWithinHalfTheCeilingAndTheCeiling() {
        Random random = new Random(42);
        Backoff b = new Backoff(100, 1_000, random::nextDouble);
        for (int i = 0; i < 10_000; i++) {
            int attempt = 1 + i % 6;
            long ceiling = Math.min(ms(1_000), ms(100) << (attempt - 1));
            assertThat(b.delayNanos(attempt)).isBetween(ceiling / 2, ceiling);
        }
    }

    @Test
    void lowestRandomGivesHalfTheCeiling() {
        Backoff b = new Backoff(100, 1_000, () -> 0.0);
        assertThat(b.delayNanos(1)).isEqualTo(ms(50));
        assertThat(b.delayNanos(10)).isEqualTo(ms(500));
    }

    @Test
    void attemptsBelowOneCountAsTheFirst() {
        Backoff b = new Backoff(100, 1_000, () -> 1.0);
        assertThat(b.delayNanos(0)).isEqualTo(ms(100));
        assertThat(b.delayNanos(-5)).isEqualTo(ms(100));
    }

    @Test
    void rejectsNonPositiveBaseAndMaximumBelowBase() {
        assertThatThrownBy(() -> new Backoff(0, 10, () -> 1.0))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Backoff(100, 99, () -> 1.0))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
