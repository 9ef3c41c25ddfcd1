package io.pgbridge.source.wal;

import io.pgbridge.source.wal.PgOutputMessage.Begin;
import io.pgbridge.source.wal.PgOutputMessage.Column;
import io.pgbridge.source.wal.PgOutputMessage.Commit;
import io.pgbridge.source.wal.PgOutputMessage.Delete;
import io.pgbridge.source.wal.PgOutputMessage.Insert;
import io.pgbridge.source.wal.PgOutputMessage.Message;
import io.pgbridge.source.wal.PgOutputMessage.Origin;
import io.pgbridge.source.wal.PgOutputMessage.Relation;
import io.pgbridge.source.wal.PgOutputMessage.Truncate;
import io.pgbridge.source.wal.PgOutputMessage.Tuple;
import io.pgbridge.source.wal.PgOutputMessage.Type;
import io.pgbridge.source.wal.PgOutputMessage.Update;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * Reads one pgoutput protocol 1 message (the payload of one XLogData message of the
 * replication stream) into a {@link PgOutputMessage}. Every length and count is checked
 * against what the buffer holds, so a message cut short or garbled is a
 * {@link WalProtocolException} naming what was wrong and where, never a value read from the
 * wrong bytes or a message silently skipped. Stateless and thread-safe.
 */
public final class PgOutputDecoder {

  /** A tuple of more columns than PostgreSQL allows in a table is not a tuple. */
  private static final int MAX_COLUMNS = 1664;

  private PgOutputDecoder() {}

  /** Decodes the message from the buffer's position to its limit. */
  public static PgOutputMessage decode(ByteBuffer buffer) throws WalProtocolException {
    ByteBuffer in = buffer.slice();
    if (!in.hasRemaining()) {
      throw new WalProtocolException("empty pgoutput message");
    }
    char type = (char) in.get();
    try {
      PgOutputMessage message = switch (type) {
        case 'B' -> new Begin(in.getLong(), in.getLong(), in.getInt());
        case 'C' -> new Commit(in.get() & 0xff, in.getLong(), in.getLong(), in.getLong());
        case 'O' -> new Origin(in.getLong(), string(in));
        case 'R' -> relation(in);
        case 'Y' -> new Type(in.getInt(), string(in), string(in));
        case 'I' -> insert(in);
        case 'U' -> update(in);
        case 'D' -> delete(in);
        case 'T' -> truncate(in);
        case 'M' -> message(in);
        default -> throw new WalProtocolException("unknown pgoutput message type '"
            + printable(type) + "' (is the slot's plugin pgoutput, with proto_version '1'?)");
      };
      if (in.hasRemaining()) {
        throw new WalProtocolException("pgoutput message '" + type + "' has "
            + in.remaining() + " byte(s) after its end");
      }
      return message;
    } catch (BufferUnderflowException e) {
      throw new WalProtocolException("pgoutput message '" + printable(type)
          + "' cut short at byte " + in.position() + " of " + in.limit(), e);
    }
  }

  private static Relation relation(ByteBuffer in) throws WalProtocolException {
    int oid = in.getInt();
    String namespace = string(in);
    String name = string(in);
    int replicaIdentity = in.get() & 0xff;
    int n = count(in.getShort() & 0xffff, "columns");
    List<Column> columns = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      int flags = in.get() & 0xff;
      columns.add(new Column((flags & 1) != 0, string(in), in.getInt(), in.getInt()));
    }
    return new Relation(oid, namespace, name, replicaIdentity, List.copyOf(columns));
  }

  private static Insert insert(ByteBuffer in) throws WalProtocolException {
    int oid = in.getInt();
    expect(in, 'N', "insert");
    return new Insert(oid, tuple(in));
  }

  private static Update update(ByteBuffer in) throws WalProtocolException {
    int oid = in.getInt();
    char kind = (char) in.get();
    Tuple old = null;
    char oldKind = 0;
    if (kind == 'K' || kind == 'O') {
      oldKind = kind;
      old = tuple(in);
      kind = (char) in.get();
    }
    if (kind != 'N') {
      throw new WalProtocolException("update of relation " + oid + ": expected 'K', 'O' or 'N',"
          + " got '" + printable(kind) + "'");
    }
    return new Update(oid, oldKind, old, tuple(in));
  }

  private static Delete delete(ByteBuffer in) throws WalProtocolException {
    int oid = in.getInt();
    char kind = (char) in.get();
    if (kind != 'K' && kind != 'O') {
      throw new WalProtocolException("delete of relation " + oid + ": expected 'K' or 'O', got '"
          + printable(kind) + "'");
    }
    return new Delete(oid, kind, tuple(in));
  }

  private static Truncate truncate(ByteBuffer in) throws WalProtocolException {
    int n = in.getInt();
    if (n < 0 || n > in.remaining() / 4) {
      throw new WalProtocolException("truncate names " + Integer.toUnsignedString(n)
          + " relations, more than the message holds");
    }
    int options = in.get() & 0xff;
    int[] oids = new int[n];
    for (int i = 0; i < n; i++) {
      oids[i] = in.getInt();
    }
    return new Truncate(options, oids);
  }

  private static Message message(ByteBuffer in) throws WalProtocolException {
    int flags = in.get() & 0xff;
    long lsn = in.getLong();
    String prefix = string(in);
    byte[] content = bytes(in, in.getInt(), "message content");
    return new Message((flags & 1) != 0, lsn, prefix, content);
  }

  private static Tuple tuple(ByteBuffer in) throws WalProtocolException {
    int n = count(in.getShort() & 0xffff, "tuple columns");
    List<byte[]> values = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      char kind = (char) in.get();
      switch (kind) {
        case 'n' -> values.add(null);
        case 'u' -> values.add(Tuple.UNCHANGED_TOAST);
        case 't', 'b' -> values.add(bytes(in, in.getInt(), "column " + i));
        default -> throw new WalProtocolException("column " + i + " of a tuple has unknown kind '"
            + printable(kind) + "'");
      }
    }
    // Collections.unmodifiableList, not List.copyOf: SQL NULLs are null elements
    return new Tuple(Collections.unmodifiableList(values));
  }

  private static int count(int n, String what) throws WalProtocolException {
    if (n > MAX_COLUMNS) {
      throw new WalProtocolException(n + " " + what + " is more than a relation can have");
    }
    return n;
  }

  private static byte[] bytes(ByteBuffer in, int length, String what)
      throws WalProtocolException {
    if (length < 0 || length > in.remaining()) {
      throw new WalProtocolException(what + " claims " + Integer.toUnsignedString(length)
          + " bytes, " + in.remaining() + " remain");
    }
    byte[] out = new byte[length];
    in.get(out);
    return out;
  }

  /** A NUL-terminated string (names in pgoutput are in the server encoding, UTF-8 here). */
  private static String string(ByteBuffer in) throws WalProtocolException {
    int start = in.position();
    for (int i = start; i < in.limit(); i++) {
      if (in.get(i) == 0) {
        byte[] raw = new byte[i - start];
        in.get(raw);
        in.get(); // the NUL
        return new String(raw, StandardCharsets.UTF_8);
      }
    }
    throw new WalProtocolException("unterminated string at byte " + start);
  }

  private static void expect(ByteBuffer in, char expected, String what)
      throws WalProtocolException {
    char got = (char) in.get();
    if (got != expected) {
      throw new WalProtocolException(what + ": expected '" + expected + "', got '"
          + printable(got) + "'");
    }
  }

  private static String printable(char c) {
    return c >= 0x20 && c < 0x7f ? String.valueOf(c) : String.format("\\x%02x", (int) c);
  }
}
