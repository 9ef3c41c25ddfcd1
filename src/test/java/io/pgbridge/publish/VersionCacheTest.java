package io.pgbridge.publish;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.UUID;
import org.junit.jupiter.api.Test;

class VersionCacheTest {

    private static final UUID A = new UUID(0, 1);
    private static final UUID B = new UUID(0, 2);
    private static final UUID C = new UUID(0, 3);

    @Test
    void unknownSessionHasNoVersion() {
        assertThat(new VersionCache(10).get(A)).isNull();
    }

    @Test
    void remembersTheLastAcknowledgedVersion() {
        VersionCache cache = new VersionCache(10);
        cache.acknowledged(A, 1);
        cache.acknowledged(A, 5);
        assertThat(cache.get(A)).isEqualTo(5);
    }

    @Test
    void neverMovesASessionBackwards() {
        VersionCache cache = new VersionCache(10);
        cache.acknowledged(A, 7);
        cache.acknowledged(A, 3);
        assertThat(cache.get(A)).isEqualTo(7);
        cache.acknowledged(A, 7);
        assertThat(cache.get(A)).isEqualTo(7);
    }

    @Test
    void evictsTheLeastRecentlyUsedBeyondCapacity() {
        VersionCache cache = new VersionCache(2);
        cache.acknowledged(A, 1);
        cache.acknowledged(B, 1);
        assertThat(cache.get(A)).isEqualTo(1); // A is now the most recently used
        cache.acknowledged(C, 1);
        assertThat(cache.size()).isEqualTo(2);
        assertThat(cache.get(B)).as("least recently used").isNull();
        assertThat(cache.get(A)).isEqualTo(1);
        assertThat(cache.get(C)).isEqualTo(1);
    }

    @Test
    void acknowledgingAnOlderVersionStillCountsAsUse() {
        VersionCache cache = new VersionCache(2);
        cache.acknowledged(A, 5);
        cache.acknowledged(B, 1);
        cache.acknowledged(A, 4);
        cache.acknowledged(C, 1);
        assertThat(cache.get(B)).isNull();
        assertThat(cache.get(A)).isEqualTo(5);
    }

    @Test
    void zeroCapacityRemembersNothing() {
        VersionCache cache = new VersionCache(0);
        cache.acknowledged(A, 1);
        assertThat(cache.get(A)).isNull();
        assertThat(cache.size()).isZero();
    }

    @Test
    void tombstoneReplacesAnyVersion() {
        VersionCache cache = new VersionCache(10);
        cache.acknowledged(A, 9);
        cache.acknowledged(A, VersionCache.TOMBSTONE);
        assertThat(cache.get(A)).isEqualTo(VersionCache.TOMBSTONE);
    }

    @Test
    void recreatedSessionAfterTombstoneStartsAgainAtAnyVersion() {
        VersionCache cache = new VersionCache(10);
        cache.acknowledged(A, 9);
        cache.acknowledged(A, VersionCache.TOMBSTONE);
        cache.acknowledged(A, 1);
        assertThat(cache.get(A)).isEqualTo(1);
    }
}
