package io.pgbridge.source.wal;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/** Writes pgoutput protocol 1 messages byte by byte, as the server's pgoutput plugin does. */
final class PgOutputBytes {

  private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
  private final DataOutputStream out = new DataOutputStream(bytes);

  static PgOutputBytes message(char type) {
    return new PgOutputBytes().byte1(type);
  }

  PgOutputBytes byte1(int b) {
    return io(() -> out.writeByte(b));
  }

  PgOutputBytes int16(int v) {
    return io(() -> out.writeShort(v));
  }

  PgOutputBytes int32(int v) {
    return io(() -> out.writeInt(v));
  }

  PgOutputBytes int64(long v) {
    return io(() -> out.writeLong(v));
  }

  PgOutputBytes string(String s) {
    return io(() -> {
      out.write(s.getBytes(StandardCharsets.UTF_8));
      out.writeByte(0);
    });
  }

  PgOutputBytes raw(byte[] b) {
    return io(() -> out.write(b));
  }

  /** TupleData: each value is null (SQL NULL), "\u0000u" (unchanged TOAST) or text. */
  PgOutputBytes tuple(String... values) {
    int16(values.length);
    for (String v : values) {
      if (v == null) {
        byte1('n');
      } else if (v.equals("\u0000u")) {
        byte1('u');
      } else {
        byte[] b = v.getBytes(StandardCharsets.UTF_8);
        byte1('t').int32(b.length).raw(b);
      }
    }
    return this;
  }

  byte[] bytes() {
    return bytes.toByteArray();
  }

  ByteBuffer buffer() {
    return ByteBuffer.wrap(bytes());
  }

  /** A Relation message for {@code columns} (the first one the key). */
  static ByteBuffer relation(int oid, String namespace, String name, String... columns) {
    PgOutputBytes m = message('R').int32(oid).string(namespace).string(name).byte1('d')
        .int16(columns.length);
    for (int i = 0; i < columns.length; i++) {
      m.byte1(i == 0 ? 1 : 0).string(columns[i]).int32(2950).int32(-1);
    }
    return m.buffer();
  }

  private interface Write {
    void run() throws IOException;
  }

  private PgOutputBytes io(Write w) {
    try {
      w.run();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return this;
  }
}
