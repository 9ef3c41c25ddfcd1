package io.pgbridge.coalesce;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgbridge.coalesce.ChangeSources.Op;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class ChangeSourcesTest {

    private final ChangeSources sources = new ChangeSources(List.of("generation_sessions",
            "generation_todos", "generation_tool_calls", "generation_notes"));

    @Test
    void everyTableAndOperationHasItsOwnBitDistinctFromCatchup() {
        Set<Long> bits = new HashSet<>();
        bits.add(ChangeSources.CATCHUP);
        for (int t = 0; t < 19; t++) {
            for (Op op : Op.values()) {
                long bit = ChangeSources.bit(t, op);
                assertThat(Long.bitCount(bit)).isEqualTo(1);
                assertThat(bits.add(bit)).as("table %d %s", t, op).isTrue();
            }
        }
        assertThat(bits).hasSize(58);
    }

    @Test
    void describesAMaskAsCatchupThenTablesInOrderThenOperationsInOrder() {
        long mask = ChangeSources.bit(1, Op.INSERT) | ChangeSources.CATCHUP
                | ChangeSources.bit(0, Op.UPDATE) | ChangeSources.bit(1, Op.DELETE)
                | ChangeSources.bit(3, Op.UPDATE);
        assertThat(sources.describe(mask)).isEqualTo("catchup,generation_sessions:UPDATE,"
                + "generation_todos:INSERT,generation_todos:DELETE,generation_notes:UPDATE");
    }

    @Test
    void flagBitsAreDistinctFromEachOtherAndFromEveryTableBitAndNamed() {
        List<Long> flags = List.of(ChangeSources.CATCHUP, ChangeSources.REPUBLISH,
                ChangeSources.REQUEST, ChangeSources.UNROUTED, ChangeSources.UNROUTED_DELETE);
        assertThat(Long.bitCount(flags.stream().reduce(0L, (a, b) -> a | b)))
                .as("one bit each, none shared").isEqualTo(flags.size());
        long all = flags.stream().reduce(0L, (a, b) -> a | b);
        for (int t = 0; t < 19; t++) {
            for (Op op : Op.values()) {
                assertThat(ChangeSources.bit(t, op) & all).as("table %d %s", t, op).isZero();
            }
        }
        assertThat(sources.describe(ChangeSources.REPUBLISH | ChangeSources.REQUEST
                | ChangeSources.bit(0, Op.UPDATE))).isEqualTo("republish,request,generation_sessions:UPDATE");
    }

    @Test
    void describesSingleSourcesAndTheEmptyMask() {
        assertThat(sources.describe(ChangeSources.CATCHUP)).isEqualTo("catchup");
        assertThat(sources.describe(ChangeSources.bit(2, Op.INSERT)))
                .isEqualTo("generation_tool_calls:INSERT");
        assertThat(sources.describe(0)).isEmpty();
    }

    @Test
    void describeIgnoresBitsOfTablesItDoesNotHave() {
        assertThat(sources.describe(ChangeSources.bit(7, Op.INSERT))).isEmpty();
    }

    @Test
    void findsTableIndexOrMinusOne() {
        assertThat(sources.tableIndex("generation_sessions")).isZero();
        assertThat(sources.tableIndex("generation_notes")).isEqualTo(3);
        assertThat(sources.tableIndex("users")).isEqualTo(-1);
        assertThat(sources.tables()).hasSize(4);
    }

    @Test
    void acceptsOneToNineteenTables() {
        List<String> twenty = new ArrayList<>(IntStream.range(0, 19).mapToObj(i -> "t" + i).toList());
        assertThat(new ChangeSources(twenty).tables()).hasSize(19);
        twenty.add("t19");
        assertThatThrownBy(() -> new ChangeSources(twenty))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new ChangeSources(List.of()))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void keepsItsOwnCopyOfTheTables() {
        List<String> tables = new ArrayList<>(List.of("a", "b"));
        ChangeSources copy = new ChangeSources(tables);
        tables.set(0, "z");
        assertThat(copy.tables()).containsExactly("a", "b");
    }
}
