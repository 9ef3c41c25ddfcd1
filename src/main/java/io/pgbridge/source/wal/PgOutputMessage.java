package io.pgbridge.source.wal;

import java.util.List;

/**
 * One message of the {@code pgoutput} logical replication protocol, version 1, as
 * {@link PgOutputDecoder} reads it. LSNs are raw 64-bit positions; xids are the 32-bit ids the
 * protocol carries. Immutable values.
 */
public sealed interface PgOutputMessage {

  /** 'B': a transaction begins; its changes follow, its {@link Commit} ends it. */
  record Begin(long finalLsn, long commitTimeMicros, int xid) implements PgOutputMessage {}

  /** 'C': the transaction that began last has committed; {@code endLsn} is past its commit. */
  record Commit(int flags, long commitLsn, long endLsn, long commitTimeMicros)
      implements PgOutputMessage {}

  /** 'O': the transaction came from another origin (replicated into this server). */
  record Origin(long commitLsn, String name) implements PgOutputMessage {}

  /**
   * 'R': the shape of relation {@code oid}, sent before its first change on each connection
   * and again when it changes. {@code columns} are the published columns, in tuple order.
   */
  record Relation(int oid, String namespace, String name, int replicaIdentity,
      List<Column> columns) implements PgOutputMessage {

    /** The position of column {@code column} in this relation's tuples, or -1. */
    public int columnIndex(String column) {
      for (int i = 0; i < columns.size(); i++) {
        if (columns.get(i).name().equals(column)) {
          return i;
        }
      }
      return -1;
    }
  }

  /** A published column: {@code key} when it is part of the replica identity. */
  record Column(boolean key, String name, int typeOid, int typeModifier) {}

  /** 'Y': a data type's name, for columns of non-builtin types. */
  record Type(int oid, String namespace, String name) implements PgOutputMessage {}

  /** 'I': a row was inserted into relation {@code relationOid}. */
  record Insert(int relationOid, Tuple newTuple) implements PgOutputMessage {}

  /**
   * 'U': a row was updated. {@code oldKind} is 'K' (the old replica identity key), 'O' (the
   * whole old row, REPLICA IDENTITY FULL) or 0 when the key did not change (no old tuple).
   */
  record Update(int relationOid, char oldKind, Tuple oldTuple, Tuple newTuple)
      implements PgOutputMessage {}

  /** 'D': a row was deleted; {@code oldKind} is 'K' or 'O' as for {@link Update}. */
  record Delete(int relationOid, char oldKind, Tuple oldTuple) implements PgOutputMessage {}

  /** 'T': relations were truncated; {@code options} bit 1 is CASCADE, bit 2 RESTART IDENTITY. */
  record Truncate(int options, int[] relationOids) implements PgOutputMessage {}

  /**
   * 'M': a message of {@code pg_logical_emit_message}; a transactional one is sent inside its
   * transaction at commit, in commit order, a non-transactional one at once.
   */
  record Message(boolean transactional, long lsn, String prefix, byte[] content)
      implements PgOutputMessage {}

  /**
   * A row's column values in the relation's column order. Each value is null (SQL NULL),
   * {@link #UNCHANGED_TOAST} (a toasted value that did not change and was not sent), or the
   * value's bytes in text (or binary) format.
   */
  record Tuple(List<byte[]> values) {

    /** The marker of a TOASTed value the update did not change ('u'). */
    public static final byte[] UNCHANGED_TOAST = new byte[0];

    public int size() {
      return values.size();
    }

    /** The raw value of column {@code index}; see the record's description. */
    public byte[] value(int index) {
      return values.get(index);
    }
  }
}
