package io.pgbridge.source.wal;

import io.pgbridge.coalesce.ChangeSources;
import io.pgbridge.coalesce.ChangeSources.Op;
import io.pgbridge.source.wal.PgOutputMessage.Delete;
import io.pgbridge.source.wal.PgOutputMessage.Insert;
import io.pgbridge.source.wal.PgOutputMessage.Relation;
import io.pgbridge.source.wal.PgOutputMessage.Truncate;
import io.pgbridge.source.wal.PgOutputMessage.Tuple;
import io.pgbridge.source.wal.PgOutputMessage.Update;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Turns decoded row changes into session marks, as the NOTIFY triggers would have named them:
 * the sessions table (table 0 of {@link ChangeSources}) by its {@code id}, a child table by its
 * {@code session_id}. An INSERT or UPDATE marks the new row's session; an UPDATE whose old key
 * names another session marks that one too (on the sessions table as a DELETE, so that its
 * missing row becomes a tombstone, as the NOTIFY trigger does for an id change); a DELETE marks
 * the old key's session. Relations are known by the {@code Relation} messages of the current
 * connection; a partition's changes arrive as its root's ({@code publish_via_partition_root}).
 * A relation of another schema or table is not ours and is ignored. Not thread-safe: the
 * source's thread.
 */
final class ChangeRouter {

  /** A session to mark: {@code table} and {@code op} name its {@link ChangeSources} bit. */
  record Mark(UUID sessionId, int table, Op op) {
    long bits() {
      return ChangeSources.bit(table, op);
    }
  }

  /** Where marks and problems go. */
  interface Sink {
    void mark(Mark mark);

    /**
     * A change that names no session (a child row whose session_id is NULL, or an old key
     * without session_id because the table's replica identity lacks it): nothing to mark, but
     * counted and told.
     */
    void unroutable(String table, Op op, String why);

    /**
     * An old key (a DELETE's, or an UPDATE's that changed the key) without the session column:
     * a leaf's replica identity lacks it (a partition attached after migrate). The session it
     * changed is unknown, so no mark can cover it.
     */
    default void unkeyed(String table, Op op, String why) {
      unroutable(table, op, why);
    }
  }

  /** A relation of ours: its table index and the position of the column naming the session. */
  private record Route(String table, int index, int keyColumn) {}

  private static final Route NOT_OURS = new Route(null, -1, -1);

  private final ChangeSources sources;
  private final String schema;
  private final Map<Integer, Route> relations = new HashMap<>();

  ChangeRouter(ChangeSources sources, String schema) {
    this.sources = sources;
    this.schema = schema;
  }

  /** A new connection: its stream sends every relation again before its first change. */
  void reset() {
    relations.clear();
  }

  void relation(Relation r) {
    int index = r.namespace().equals(schema) ? sources.tableIndex(r.name()) : -1;
    if (index < 0) {
      relations.put(r.oid(), NOT_OURS);
      return;
    }
    relations.put(r.oid(), new Route(r.name(), index, r.columnIndex(keyColumnName(index))));
  }

  /** The table index of relation {@code oid}, or -1 when it is not ours. */
  int tableIndex(int oid) throws WalProtocolException {
    return route(oid).index();
  }

  /** The table name of one of our relations. */
  String tableName(int oid) throws WalProtocolException {
    return route(oid).table();
  }

  void insert(Insert m, Sink sink) throws WalProtocolException {
    Route r = route(m.relationOid());
    if (r.index() >= 0) {
      markNew(r, Op.INSERT, m.newTuple(), sink);
    }
  }

  void update(Update m, Sink sink) throws WalProtocolException {
    Route r = route(m.relationOid());
    if (r.index() < 0) {
      return;
    }
    UUID now = markNew(r, Op.UPDATE, m.newTuple(), sink);
    if (m.oldTuple() == null) {
      return; // the replica identity did not change: same session
    }
    UUID before = sessionOf(r, m.oldTuple(), true, Op.UPDATE, sink);
    if (before != null && !before.equals(now)) {
      // the sessions table: the old id's row is gone; a child: it left the old session
      sink.mark(new Mark(before, r.index(), r.index() == 0 ? Op.DELETE : Op.UPDATE));
    }
  }

  void delete(Delete m, Sink sink) throws WalProtocolException {
    Route r = route(m.relationOid());
    if (r.index() < 0) {
      return;
    }
    UUID before = sessionOf(r, m.oldTuple(), true, Op.DELETE, sink);
    if (before != null) {
      sink.mark(new Mark(before, r.index(), Op.DELETE));
    }
  }

  /** Whether {@code m} truncates the sessions table (a child's TRUNCATE carries no state). */
  boolean truncatesSessions(Truncate m) throws WalProtocolException {
    for (int oid : m.relationOids()) {
      if (route(oid).index() == 0) {
        return true;
      }
    }
    return false;
  }

  /** Our tables among those {@code m} truncates, for the change counters. */
  List<String> truncated(Truncate m) throws WalProtocolException {
    List<String> out = new ArrayList<>();
    for (int oid : m.relationOids()) {
      Route r = route(oid);
      if (r.index() >= 0) {
        out.add(r.table());
      }
    }
    return out;
  }

  private UUID markNew(Route r, Op op, Tuple tuple, Sink sink) throws WalProtocolException {
    UUID id = sessionOf(r, tuple, false, op, sink);
    if (id != null) {
      sink.mark(new Mark(id, r.index(), op));
    }
    return id;
  }

  private UUID sessionOf(Route r, Tuple tuple, boolean oldKey, Op op, Sink sink)
      throws WalProtocolException {
    String column = keyColumnName(r.index());
    if (r.keyColumn() < 0) {
      throw new WalConfigurationException("the publication sends no " + column
          + " column of table " + r.table() + " (its column list)");
    }
    if (r.keyColumn() >= tuple.size()) {
      throw new WalProtocolException("a tuple of table " + r.table() + " has " + tuple.size()
          + " columns, its relation more");
    }
    byte[] value = tuple.value(r.keyColumn());
    if (value == null || value == Tuple.UNCHANGED_TOAST) {
      if (r.index() == 0) {
        throw new WalConfigurationException("a change of table " + r.table()
            + " without its id (its replica identity must include id)");
      }
      if (oldKey && value == null) {
        sink.unkeyed(r.table(), op, "the old key has no " + column + ": the replica identity"
            + " of a partition of it lacks " + column + " (attached after migrate?); run"
            + " `pgbridge migrate --source-mode wal`");
      } else {
        sink.unroutable(r.table(), op, value == null ? column + " is NULL"
            : column + " was not sent");
      }
      return null;
    }
    return uuid(value, r.table(), column);
  }

  private static UUID uuid(byte[] value, String table, String column)
      throws WalProtocolException {
    if (value.length == 36) {
      String s = new String(value, StandardCharsets.US_ASCII);
      if (isCanonicalUuid(s)) {
        return UUID.fromString(s);
      }
    }
    throw new WalProtocolException(column + " of table " + table + " is not a UUID in text form"
        + " (" + value.length + " bytes)");
  }

  private static boolean isCanonicalUuid(String s) {
    for (int i = 0; i < 36; i++) {
      char c = s.charAt(i);
      boolean dash = i == 8 || i == 13 || i == 18 || i == 23;
      boolean ok = dash ? c == '-'
          : (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
      if (!ok) {
        return false;
      }
    }
    return true;
  }

  private Route route(int oid) throws WalProtocolException {
    Route r = relations.get(oid);
    if (r == null) {
      throw new WalProtocolException("a change of relation " + Integer.toUnsignedString(oid)
          + " before its Relation message");
    }
    return r;
  }

  private static String keyColumnName(int tableIndex) {
    return tableIndex == 0 ? "id" : "session_id";
  }
}
