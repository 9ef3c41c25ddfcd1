package io.pgbridge.source.wal;

import static io.pgbridge.source.wal.PgOutputBytes.message;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgbridge.coalesce.ChangeSources;
import io.pgbridge.coalesce.ChangeSources.Op;
import io.pgbridge.source.wal.ChangeRouter.Mark;
import io.pgbridge.source.wal.PgOutputMessage.Delete;
import io.pgbridge.source.wal.PgOutputMessage.Insert;
import io.pgbridge.source.wal.PgOutputMessage.Relation;
import io.pgbridge.source.wal.PgOutputMessage.Truncate;
import io.pgbridge.source.wal.PgOutputMessage.Update;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class ChangeRouterTest {

  private static final UUID A = UUID.fromString("8f14e45f-ceea-467a-9575-7e7a3d1b2c4d");
  private static final UUID B = UUID.fromString("0b7e2f3a-1111-4a2b-8c3d-000000000002");
  private static final UUID ROW = UUID.fromString("0b7e2f3a-2222-4a2b-8c3d-000000000003");
  private static final int SESSIONS = 1;
  private static final int TODOS = 2;
  private static final int OTHER_SCHEMA = 3;
  private static final int UNRELATED = 4;

  private final ChangeSources sources = new ChangeSources(List.of("generation_sessions",
      "generation_todos", "generation_tool_calls", "generation_notes"));
  private final ChangeRouter router = new ChangeRouter(sources, "app");
  private final List<Mark> marks = new ArrayList<>();
  private final List<String> unroutable = new ArrayList<>();
  private final List<String> unkeyed = new ArrayList<>();
  private final ChangeRouter.Sink sink = new ChangeRouter.Sink() {
    @Override
    public void mark(Mark mark) {
      marks.add(mark);
    }

    @Override
    public void unroutable(String table, Op op, String why) {
      unroutable.add(table + ":" + op + ":" + why);
    }

    @Override
    public void unkeyed(String table, Op op, String why) {
      unkeyed.add(table + ":" + op + ":" + why);
    }
  };

  @BeforeEach
  void relations() throws Exception {
    relation(PgOutputBytes.relation(SESSIONS, "app", "generation_sessions", "id",
        "state_version"));
    relation(PgOutputBytes.relation(TODOS, "app", "generation_todos", "id", "session_id"));
    relation(PgOutputBytes.relation(OTHER_SCHEMA, "elsewhere", "generation_sessions", "id"));
    relation(PgOutputBytes.relation(UNRELATED, "app", "audit_log", "id"));
  }

  private void relation(java.nio.ByteBuffer b) throws WalProtocolException {
    router.relation((Relation) PgOutputDecoder.decode(b));
  }

  private static <T> T decode(PgOutputBytes m, Class<T> type) throws WalProtocolException {
    return type.cast(PgOutputDecoder.decode(m.buffer()));
  }

  @Test
  void sessionInsertAndUpdateMarkTheRowsId() throws Exception {
    router.insert(decode(message('I').int32(SESSIONS).byte1('N').tuple(A.toString(), "1"),
        Insert.class), sink);
    router.update(decode(message('U').int32(SESSIONS).byte1('N').tuple(A.toString(), "2"),
        Update.class), sink);
    assertThat(marks).containsExactly(new Mark(A, 0, Op.INSERT), new Mark(A, 0, Op.UPDATE));
    assertThat(marks.get(0).bits()).isEqualTo(ChangeSources.bit(0, Op.INSERT));
  }

  @Test
  void sessionIdChangeMarksTheOldIdAsDeleted() throws Exception {
    router.update(decode(message('U').int32(SESSIONS).byte1('K').tuple(A.toString(), null)
        .byte1('N').tuple(B.toString(), "3"), Update.class), sink);
    assertThat(marks).containsExactly(new Mark(B, 0, Op.UPDATE), new Mark(A, 0, Op.DELETE));
  }

  @Test
  void sessionUpdateWithAnOldKeyOfTheSameIdMarksItOnce() throws Exception {
    router.update(decode(message('U').int32(SESSIONS).byte1('O').tuple(A.toString(), "1")
        .byte1('N').tuple(A.toString(), "2"), Update.class), sink);
    assertThat(marks).containsExactly(new Mark(A, 0, Op.UPDATE));
  }

  @Test
  void sessionDeleteMarksTheOldKeysIdWithTheDeleteBit() throws Exception {
    router.delete(decode(message('D').int32(SESSIONS).byte1('K').tuple(A.toString(), null),
        Delete.class), sink);
    assertThat(marks).containsExactly(new Mark(A, 0, Op.DELETE));
    assertThat(marks.get(0).bits()).isEqualTo(ChangeSources.bit(0, Op.DELETE));
  }

  @Test
  void childChangesMarkTheirSessionAndBothSessionsWhenItMoves() throws Exception {
    router.insert(decode(message('I').int32(TODOS).byte1('N').tuple(ROW.toString(),
        A.toString()), Insert.class), sink);
    router.update(decode(message('U').int32(TODOS).byte1('K').tuple(ROW.toString(),
        A.toString()).byte1('N').tuple(ROW.toString(), B.toString()), Update.class), sink);
    router.delete(decode(message('D').int32(TODOS).byte1('K').tuple(ROW.toString(),
        B.toString()), Delete.class), sink);
    assertThat(marks).containsExactly(new Mark(A, 1, Op.INSERT), new Mark(B, 1, Op.UPDATE),
        new Mark(A, 1, Op.UPDATE), new Mark(B, 1, Op.DELETE));
  }

  @Test
  void childDeleteWhoseOldKeyLacksTheSessionIsToldAsUnkeyed() throws Exception {
    router.delete(decode(message('D').int32(TODOS).byte1('K').tuple(ROW.toString(), null),
        Delete.class), sink);
    assertThat(marks).isEmpty();
    assertThat(unroutable).isEmpty();
    assertThat(unkeyed).singleElement().asString()
        .startsWith("generation_todos:DELETE:the old key has no session_id")
        .contains("replica identity").contains("pgbridge migrate --source-mode wal");
  }

  @Test
  void aChildRowWithoutSessionIsOnlyUnroutable() throws Exception {
    router.insert(decode(message('I').int32(TODOS).byte1('N').tuple(ROW.toString(), null),
        Insert.class), sink);
    assertThat(marks).isEmpty();
    assertThat(unkeyed).isEmpty();
    assertThat(unroutable).singleElement().asString()
        .startsWith("generation_todos:INSERT:session_id is NULL");
  }

  @Test
  void tablesOfAnotherSchemaOrNotConfiguredAreIgnored() throws Exception {
    router.insert(decode(message('I').int32(OTHER_SCHEMA).byte1('N').tuple(A.toString()),
        Insert.class), sink);
    router.insert(decode(message('I').int32(UNRELATED).byte1('N').tuple("x"), Insert.class),
        sink);
    assertThat(marks).isEmpty();
    assertThat(unroutable).isEmpty();
    assertThat(router.tableIndex(UNRELATED)).isEqualTo(-1);
  }

  @Test
  void aChangeBeforeItsRelationIsAProtocolError() {
    assertThatThrownBy(() -> router.insert(decode(message('I').int32(99).byte1('N')
        .tuple(A.toString()), Insert.class), sink))
        .isInstanceOf(WalProtocolException.class).hasMessageContaining("before its Relation");
    router.reset();
    assertThatThrownBy(() -> router.insert(decode(message('I').int32(SESSIONS).byte1('N')
        .tuple(A.toString()), Insert.class), sink))
        .isInstanceOf(WalProtocolException.class);
  }

  @Test
  void anIdThatIsNotAUuidIsAProtocolError() {
    assertThatThrownBy(() -> router.insert(decode(message('I').int32(SESSIONS).byte1('N')
        .tuple("+f14e45f-ceea-467a-9575-7e7a3d1b2c4d", "1"), Insert.class), sink))
        .isInstanceOf(WalProtocolException.class).hasMessageContaining("not a UUID");
  }

  @Test
  void aPublicationWithoutTheSessionColumnIsAConfigurationErrorNamingTheFix() throws Exception {
    relation(PgOutputBytes.relation(TODOS, "app", "generation_todos", "id"));
    assertThatThrownBy(() -> router.insert(decode(message('I').int32(TODOS).byte1('N')
        .tuple(ROW.toString()), Insert.class), sink))
        .isInstanceOf(WalConfigurationException.class)
        .hasMessageContaining("no session_id column")
        .hasMessageContaining("pgbridge migrate --source-mode wal");
  }

  @Test
  void aSessionsChangeWithoutItsIdIsAConfigurationError() {
    assertThatThrownBy(() -> router.delete(decode(message('D').int32(SESSIONS).byte1('K')
        .tuple(null, null), Delete.class), sink))
        .isInstanceOf(WalConfigurationException.class)
        .hasMessageContaining("pgbridge migrate --source-mode wal");
  }

  @Test
  void onlyATruncateOfTheSessionsTableTruncatesSessions() throws Exception {
    assertThat(router.truncatesSessions(decode(message('T').int32(2).byte1(0).int32(TODOS)
        .int32(UNRELATED), Truncate.class))).isFalse();
    Truncate both = decode(message('T').int32(2).byte1(0).int32(TODOS).int32(SESSIONS),
        Truncate.class);
    assertThat(router.truncatesSessions(both)).isTrue();
    assertThat(router.truncated(both)).containsExactly("generation_todos",
        "generation_sessions");
  }
}
