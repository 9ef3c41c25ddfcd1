package io.pgbridge.demo;

import java.util.concurrent.atomic.LongAdder;

/**
 * Committed row changes made by the simulated agents, by table and operation. Writers add a
 * transaction's changes only after its commit returned, so the totals are what PostgreSQL
 * really holds (and what its triggers notified). Thread-safe; no lifecycle.
 */
final class RowChanges {

  /** The four tables the bridge watches, in the order the summary prints them. */
  enum Table {
    SESSIONS("generation_sessions"), TODOS("generation_todos"),
    TOOL_CALLS("generation_tool_calls"), NOTES("generation_notes");

    final String sqlName;

    Table(String sqlName) {
      this.sqlName = sqlName;
    }
  }

  /** Row operations, as the triggers name them. */
  enum Op { INSERT, UPDATE, DELETE }

  private final LongAdder[] counts = new LongAdder[Table.values().length * Op.values().length];

  RowChanges() {
    for (int i = 0; i < counts.length; i++) {
      counts[i] = new LongAdder();
    }
  }

  /** A writer's tally for one transaction, added to the totals on commit. */
  static final class Pending {
    private final long[] counts = new long[Table.values().length * Op.values().length];

    void add(Table table, Op op, long n) {
      counts[index(table, op)] += n;
    }
  }

  void commit(Pending pending) {
    for (int i = 0; i < counts.length; i++) {
      if (pending.counts[i] != 0) {
        counts[i].add(pending.counts[i]);
      }
    }
    java.util.Arrays.fill(pending.counts, 0);
  }

  long count(Table table, Op op) {
    return counts[index(table, op)].sum();
  }

  long total(Table table) {
    long sum = 0;
    for (Op op : Op.values()) {
      sum += count(table, op);
    }
    return sum;
  }

  long total() {
    long sum = 0;
    for (LongAdder c : counts) {
      sum += c.sum();
    }
    return sum;
  }

  private static int index(Table table, Op op) {
    return table.ordinal() * Op.values().length + op.ordinal();
  }
}
