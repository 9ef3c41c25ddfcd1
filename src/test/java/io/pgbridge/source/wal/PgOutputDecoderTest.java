package io.pgbridge.source.wal;

import static io.pgbridge.source.wal.PgOutputBytes.message;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class PgOutputDecoderTest {

  private static final String ID = "8f14e45f-ceea-467a-9575-7e7a3d1b2c4d";

  private static PgOutputMessage decode(PgOutputBytes m) throws WalProtocolException {
    return PgOutputDecoder.decode(m.buffer());
  }

  private static String text(byte[] value) {
    return new String(value, StandardCharsets.UTF_8);
  }

  @Test
  void decodesBeginAndCommit() throws Exception {
    assertThat(decode(message('B').int64(0x16B3748L).int64(123456L).int32(0xFFFF_FFF0)))
        .isEqualTo(new Begin(0x16B3748L, 123456L, 0xFFFF_FFF0));
    assertThat(decode(message('C').byte1(0).int64(100).int64(180).int64(77)))
        .isEqualTo(new Commit(0, 100, 180, 77));
  }

  @Test
  void decodesRelationWithKeyColumns() throws Exception {
    PgOutputMessage m = PgOutputDecoder.decode(
        PgOutputBytes.relation(16384, "app", "generation_todos", "session_id", "id"));
    assertThat(m).isEqualTo(new Relation(16384, "app", "generation_todos", 'd', List.of(
        new Column(true, "session_id", 2950, -1), new Column(false, "id", 2950, -1))));
    assertThat(((Relation) m).columnIndex("id")).isEqualTo(1);
    assertThat(((Relation) m).columnIndex("missing")).isEqualTo(-1);
  }

  @Test
  void decodesInsertWithNullAndUnchangedToastValues() throws Exception {
    Insert m = (Insert) decode(message('I').int32(7).byte1('N').tuple(ID, null, "\u0000u"));
    assertThat(m.relationOid()).isEqualTo(7);
    Tuple t = m.newTuple();
    assertThat(t.size()).isEqualTo(3);
    assertThat(text(t.value(0))).isEqualTo(ID);
    assertThat(t.value(1)).isNull();
    assertThat(t.value(2)).isSameAs(Tuple.UNCHANGED_TOAST);
  }

  @Test
  void decodesUpdateWithoutOldTupleWithOldKeyAndWithOldRow() throws Exception {
    Update plain = (Update) decode(message('U').int32(7).byte1('N').tuple(ID));
    assertThat(plain.oldKind()).isEqualTo((char) 0);
    assertThat(plain.oldTuple()).isNull();
    assertThat(text(plain.newTuple().value(0))).isEqualTo(ID);

    Update key = (Update) decode(message('U').int32(7).byte1('K').tuple("old", null)
        .byte1('N').tuple("new", "x"));
    assertThat(key.oldKind()).isEqualTo('K');
    assertThat(text(key.oldTuple().value(0))).isEqualTo("old");
    assertThat(key.oldTuple().value(1)).isNull();
    assertThat(text(key.newTuple().value(0))).isEqualTo("new");

    Update full = (Update) decode(message('U').int32(7).byte1('O').tuple("old", "y")
        .byte1('N').tuple("new", "x"));
    assertThat(full.oldKind()).isEqualTo('O');
    assertThat(text(full.oldTuple().value(1))).isEqualTo("y");
  }

  @Test
  void decodesDeleteByKeyAndByFullRow() throws Exception {
    Delete key = (Delete) decode(message('D').int32(9).byte1('K').tuple(ID));
    assertThat(key.oldKind()).isEqualTo('K');
    assertThat(text(key.oldTuple().value(0))).isEqualTo(ID);
    Delete full = (Delete) decode(message('D').int32(9).byte1('O').tuple(ID, "a"));
    assertThat(full.oldKind()).isEqualTo('O');
  }

  @Test
  void decodesTruncateOfSeveralRelations() throws Exception {
    Truncate m = (Truncate) decode(message('T').int32(2).byte1(1).int32(5).int32(6));
    assertThat(m.options()).isEqualTo(1);
    assertThat(m.relationOids()).containsExactly(5, 6);
  }

  @Test
  void decodesTransactionalAndPlainMessages() throws Exception {
    Message m = (Message) decode(message('M').byte1(1).int64(42).string("pgbridge.barrier")
        .int32(3).raw("a/1".getBytes(StandardCharsets.UTF_8)));
    assertThat(m.transactional()).isTrue();
    assertThat(m.lsn()).isEqualTo(42);
    assertThat(m.prefix()).isEqualTo("pgbridge.barrier");
    assertThat(text(m.content())).isEqualTo("a/1");
    Message plain = (Message) decode(message('M').byte1(0).int64(1).string("x").int32(0));
    assertThat(plain.transactional()).isFalse();
    assertThat(plain.content()).isEmpty();
  }

  @Test
  void decodesOriginAndType() throws Exception {
    assertThat(decode(message('O').int64(5).string("upstream")))
        .isEqualTo(new Origin(5, "upstream"));
    assertThat(decode(message('Y').int32(99).string("app").string("mood")))
        .isEqualTo(new Type(99, "app", "mood"));
  }

  @Test
  void readsFromTheBufferPositionWithoutMovingIt() throws Exception {
    byte[] body = message('B').int64(1).int64(2).int32(3).bytes();
    byte[] framed = new byte[body.length + 4];
    System.arraycopy(body, 0, framed, 4, body.length);
    ByteBuffer b = ByteBuffer.wrap(framed);
    b.position(4);
    assertThat(PgOutputDecoder.decode(b)).isEqualTo(new Begin(1, 2, 3));
    assertThat(b.position()).isEqualTo(4);
  }

  @Test
  void everyMessageCutShortIsAProtocolErrorNeverAValue() {
    List<byte[]> whole = List.of(
        message('B').int64(1).int64(2).int32(3).bytes(),
        message('C').byte1(0).int64(1).int64(2).int64(3).bytes(),
        message('I').int32(7).byte1('N').tuple(ID, null).bytes(),
        message('U').int32(7).byte1('K').tuple("a").byte1('N').tuple("b").bytes(),
        message('D').int32(7).byte1('K').tuple(ID).bytes(),
        message('T').int32(1).byte1(0).int32(5).bytes(),
        message('M').byte1(1).int64(1).string("p").int32(2).raw(new byte[] {1, 2}).bytes(),
        message('O').int64(1).string("o").bytes(),
        message('Y').int32(1).string("s").string("t").bytes(),
        PgOutputBytes.relation(1, "s", "t", "id", "x").array());
    for (byte[] m : whole) {
      for (int cut = 0; cut < m.length; cut++) {
        ByteBuffer b = ByteBuffer.wrap(Arrays.copyOf(m, cut));
        int at = cut;
        assertThatThrownBy(() -> PgOutputDecoder.decode(b))
            .as("message '%s' cut to %d of %d bytes", (char) m[0], at, m.length)
            .isInstanceOf(WalProtocolException.class).hasMessageNotContaining("null");
      }
    }
  }

  @Test
  void bytesAfterTheEndOfAMessageAreAProtocolError() {
    assertThatThrownBy(() -> decode(message('B').int64(1).int64(2).int32(3).byte1(0)))
        .isInstanceOf(WalProtocolException.class).hasMessageContaining("after its end");
  }

  @Test
  void unknownMessageTypesAndTupleKindsAreProtocolErrors() {
    assertThatThrownBy(() -> decode(message('Z').int32(1)))
        .isInstanceOf(WalProtocolException.class).hasMessageContaining("unknown pgoutput message"
            + " type 'Z'");
    // 'S' (stream start) belongs to protocol 2, which this bridge does not ask for
    assertThatThrownBy(() -> decode(message('S').int32(1).byte1(1)))
        .isInstanceOf(WalProtocolException.class);
    assertThatThrownBy(() -> decode(message('I').int32(7).byte1('N').int16(1).byte1('x')))
        .isInstanceOf(WalProtocolException.class).hasMessageContaining("unknown kind 'x'");
    assertThatThrownBy(() -> decode(message('I').int32(7).byte1('X').tuple(ID)))
        .isInstanceOf(WalProtocolException.class).hasMessageContaining("expected 'N'");
    assertThatThrownBy(() -> decode(message('U').int32(7).byte1('Q').tuple(ID)))
        .isInstanceOf(WalProtocolException.class).hasMessageContaining("'K', 'O' or 'N'");
    assertThatThrownBy(() -> decode(message('D').int32(7).byte1('N').tuple(ID)))
        .isInstanceOf(WalProtocolException.class).hasMessageContaining("'K' or 'O'");
    assertThatThrownBy(() -> PgOutputDecoder.decode(ByteBuffer.allocate(0)))
        .isInstanceOf(WalProtocolException.class).hasMessageContaining("empty");
  }

  @Test
  void lengthsBeyondTheMessageAreProtocolErrors() {
    assertThatThrownBy(() -> decode(message('I').int32(7).byte1('N').int16(1).byte1('t')
        .int32(1_000_000).raw(new byte[4])))
        .isInstanceOf(WalProtocolException.class).hasMessageContaining("claims 1000000 bytes");
    assertThatThrownBy(() -> decode(message('I').int32(7).byte1('N').int16(1).byte1('t')
        .int32(-1)))
        .isInstanceOf(WalProtocolException.class).hasMessageContaining("claims 4294967295");
    assertThatThrownBy(() -> decode(message('T').int32(Integer.MAX_VALUE).byte1(0)))
        .isInstanceOf(WalProtocolException.class).hasMessageContaining("more than the message");
    assertThatThrownBy(() -> decode(message('I').int32(7).byte1('N').int16(60000)))
        .isInstanceOf(WalProtocolException.class).hasMessageContaining("more than a relation");
    assertThatThrownBy(() -> decode(message('O').int64(1).raw(new byte[] {'a', 'b'})))
        .isInstanceOf(WalProtocolException.class).hasMessageContaining("unterminated string");
  }
}
