package io.pgbridge.source.notify;

import static io.pgbridge.source.notify.NotificationParser.BAD_OPERATION;
import static io.pgbridge.source.notify.NotificationParser.BAD_SESSION_ID;
import static io.pgbridge.source.notify.NotificationParser.MISSING_SESSION_ID;
import static io.pgbridge.source.notify.NotificationParser.NOT_JSON;
import static io.pgbridge.source.notify.NotificationParser.WRONG_TYPE;
import static org.assertj.core.api.Assertions.assertThat;

import io.pgbridge.coalesce.ChangeSources;
import io.pgbridge.coalesce.ChangeSources.Op;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class NotificationParserTest {

    private static final String ID = "8f14e45f-ceea-467a-9575-7e7a3d1b2c4d";
    private static final UUID SESSION = UUID.fromString(ID);

    private final NotificationParser parser = new NotificationParser(new ChangeSources(List.of(
            "generation_sessions", "generation_todos", "generation_tool_calls",
            "generation_notes")));

    private Signal.Change change(String payload) {
        Signal s = parser.parse(payload);
        assertThat(s).as(payload).isInstanceOf(Signal.Change.class);
        return (Signal.Change) s;
    }

    private String reason(String payload) {
        Signal s = parser.parse(payload);
        assertThat(s).as("%s", payload).isInstanceOf(Signal.Malformed.class);
        Signal.Malformed m = (Signal.Malformed) s;
        assertThat(m.detail()).isNotBlank();
        return m.reason();
    }

    // ---- accepted shapes ----

    @Test
    void parsesPgbridgePayload() {
        assertThat(parser.parse(
                "{\"table\":\"generation_todos\",\"op\":\"UPDATE\",\"session_id\":\"" + ID + "\"}"))
                .isEqualTo(new Signal.Change(SESSION, 1, Op.UPDATE));
    }

    @Test
    void changeCarriesTheSourceBitOfItsTableAndOperation() {
        Signal.Change c = change(
                "{\"table\":\"generation_notes\",\"op\":\"DELETE\",\"session_id\":\"" + ID + "\"}");
        assertThat(c.source()).isEqualTo(ChangeSources.bit(3, Op.DELETE));
    }

    @Test
    void parsesSeedDesignPayloadIgnoringProjectAndTimestamp() {
        assertThat(parser.parse("{\"table\":\"generation_todos\",\"action\":\"INSERT\","
                + "\"session_id\":\"" + ID + "\",\"project_id\":\"11111111-2222-3333-4444-555555555555\","
                + "\"timestamp\":1730000000.123}"))
                .isEqualTo(new Signal.Change(SESSION, 1, Op.INSERT));
    }

    @Test
    void parsesBarrier() {
        assertThat(parser.parse("{\"barrier\":\"x\"}")).isEqualTo(new Signal.Barrier("x"));
    }

    @Test
    void acceptsFieldsInAnyOrder() {
        assertThat(parser.parse(
                "{\"session_id\":\"" + ID + "\",\"op\":\"DELETE\",\"table\":\"generation_sessions\"}"))
                .isEqualTo(new Signal.Change(SESSION, 0, Op.DELETE));
    }

    @Test
    void acceptsWhitespaceAroundEveryToken() {
        assertThat(parser.parse(" \n\t{ \"table\" :\r\n \"generation_tool_calls\" , \"op\"\t:"
                + " \"INSERT\" ,\n\"session_id\" : \"" + ID + "\" }\n "))
                .isEqualTo(new Signal.Change(SESSION, 2, Op.INSERT));
    }

    @Test
    void decodesEscapesInStrings() {
        assertThat(parser.parse("{\"table\":\"generation\\u005ftodos\",\"op\":\"UPD\\u0041TE\","
                + "\"session_id\":\"" + ID.replace("-", "\\u002d") + "\","
                + "\"note\":\"quote \\\" backslash \\\\ slash \\/ \\b\\f\\n\\r\\t\"}"))
                .isEqualTo(new Signal.Change(SESSION, 1, Op.UPDATE));
    }

    @Test
    void escapedQuoteDoesNotEndAStringEarly() {
        assertThat(parser.parse("{\"note\":\"a \\\", \\\"session_id\\\": \\\"x\",\"table\":"
                + "\"generation_todos\",\"op\":\"INSERT\",\"session_id\":\"" + ID + "\"}"))
                .isEqualTo(new Signal.Change(SESSION, 1, Op.INSERT));
    }

    @Test
    void ignoresUnknownFieldsOfEveryJsonType() {
        assertThat(parser.parse("{\"n\":null,\"t\":true,\"f\":false,\"i\":-12,\"d\":1.5e-3,"
                + "\"o\":{\"a\":[1,{\"b\":[]},\"s\"],\"e\":{}},\"arr\":[[],[null]],\"s\":\"}\","
                + "\"table\":\"generation_todos\",\"op\":\"UPDATE\",\"session_id\":\"" + ID + "\"}"))
                .isEqualTo(new Signal.Change(SESSION, 1, Op.UPDATE));
    }

    @Test
    void acceptsCamelCaseSessionIdAndOperationAliases() {
        assertThat(change("{\"table\":\"generation_todos\",\"operation\":\"delete\",\"sessionId\":\""
                + ID + "\"}")).isEqualTo(new Signal.Change(SESSION, 1, Op.DELETE));
        assertThat(change("{\"table\":\"generation_todos\",\"op\":\"I\",\"session_id\":\""
                + ID + "\"}").op()).isEqualTo(Op.INSERT);
    }

    @Test
    void acceptsUpperCaseUuid() {
        assertThat(change("{\"table\":\"generation_todos\",\"op\":\"UPDATE\",\"session_id\":\""
                + ID.toUpperCase() + "\"}").sessionId()).isEqualTo(SESSION);
    }

    @Test
    void parsesPayloadNearTheEightThousandByteLimit() {
        String head = "{\"table\":\"generation_todos\",\"op\":\"UPDATE\",\"session_id\":\"" + ID
                + "\",\"padding\":\"";
        String payload = head + "x".repeat(7990 - head.length() - 2) + "\"}";
        assertThat(payload.getBytes(StandardCharsets.UTF_8)).hasSizeBetween(7980, 7999);
        assertThat(parser.parse(payload)).isEqualTo(new Signal.Change(SESSION, 1, Op.UPDATE));
    }

    @Test
    void acceptsUnknownFieldsNestedUpToTheDepthLimit() {
        String nested = "[".repeat(30) + "]".repeat(30);
        assertThat(parser.parse("{\"deep\":" + nested + ",\"barrier\":\"b\"}"))
                .isEqualTo(new Signal.Barrier("b"));
    }

    @Test
    void barrierWinsOverOtherFields() {
        assertThat(parser.parse("{\"barrier\":\"b-1\",\"table\":\"nope\"}"))
                .isEqualTo(new Signal.Barrier("b-1"));
    }

    // ---- malformed ----

    @ParameterizedTest
    @ValueSource(strings = {"hello", "{", "{\"a\":}", "{\"barrier\":\"x\"} trailing",
        "{\"barrier\":\"x\"}}", "[1,2]", "\"string\"", "42", "{\"a\":1,}", "{,}",
        "{\"a\" 1}", "{\"a\":1 \"b\":2}", "{a:1}", "{'a':'b'}", "{\"a\":tru}", "{\"a\":NaN}",
        "{\"a\":\"unterminated}", "{\"a\":\"bad \\x escape\"}", "{\"a\":\"\\u12\"}",
        "{\"a\":\"\\u12zz\"}", "{\"a\":[1,2}", "{\"a\":{\"b\":1]}",
        "{\"a\":\"raw\ncontrol\"}", "{\"a\":--1}", "{\"a\":.5}"})
    void rejectsWhatIsNotJsonAsNotJson(String payload) {
        assertThat(reason(payload)).isEqualTo(NOT_JSON);
    }

    @Test
    void rejectsNullAndEmptyPayloadAsNotJson() {
        assertThat(reason(null)).isEqualTo(NOT_JSON);
        assertThat(reason("")).isEqualTo(NOT_JSON);
        assertThat(reason("   ")).isEqualTo(NOT_JSON);
    }

    @Test
    void rejectsNestingBeyondTheLimitAsNotJsonWithoutOverflowingTheStack() {
        assertThat(reason("{\"deep\":" + "[".repeat(40) + "]".repeat(40) + ",\"barrier\":\"b\"}"))
                .isEqualTo(NOT_JSON);
        assertThat(reason("{\"deep\":" + "{\"a\":".repeat(100_000) + "1" + "}".repeat(100_000)
                + "}")).isEqualTo(NOT_JSON);
    }

    @Test
    void rejectsPayloadWithoutSessionId() {
        assertThat(reason("{\"table\":\"generation_todos\",\"op\":\"UPDATE\"}"))
                .isEqualTo(MISSING_SESSION_ID);
        assertThat(reason("{}")).isEqualTo(MISSING_SESSION_ID);
    }

    @ParameterizedTest
    @ValueSource(strings = {"not-a-uuid", "", "8f14e45f-ceea-467a-9575-7e7a3d1b2c4", 
        "8f14e45f-ceea-467a-9575-7e7a3d1b2c4dd", "8f14e45fceea467a95757e7a3d1b2c4d",
        "8f14e45f-ceea-467a-9575-7e7a3d1b2c4g", "1-2-3-4-5",
        "1'; DROP TABLE x; --", "8f14e45f-ceea-467a-9575-7e7a3d1b2c4d'; DROP TABLE x; --",
        "+f14e45f-ceea-467a-9575-7e7a3d1b2c4d", "8f14e45f-+eea-467a-9575-7e7a3d1b2c4d",
        "8f14e45f-ceea-467a-9575+7e7a3d1b2c4d", "{8f14e45f-ceea-467a-9575-7e7a3d1b2c}"})
    void rejectsSessionIdThatIsNotAUuid(String id) {
        assertThat(reason("{\"table\":\"generation_todos\",\"op\":\"UPDATE\",\"session_id\":\""
                + id + "\"}")).isEqualTo(BAD_SESSION_ID);
    }

    @ParameterizedTest
    @ValueSource(strings = {"{\"session_id\":42,\"table\":\"generation_todos\",\"op\":\"UPDATE\"}",
        "{\"session_id\":null,\"table\":\"generation_todos\",\"op\":\"UPDATE\"}",
        "{\"session_id\":[\"" + ID + "\"],\"table\":\"generation_todos\",\"op\":\"UPDATE\"}",
        "{\"table\":{},\"op\":\"UPDATE\",\"session_id\":\"" + ID + "\"}",
        "{\"table\":\"generation_todos\",\"op\":1,\"session_id\":\"" + ID + "\"}",
        "{\"barrier\":true}"})
    void rejectsKnownFieldsOfTheWrongType(String payload) {
        assertThat(reason(payload)).isEqualTo(WRONG_TYPE);
    }

    @Test
    void routesChangesOfTablesThatAreNotOursByTheirSessionId() {
        // a trigger that names a partition, or a table configured elsewhere: the change may
        // be real, so its session is still published (and no checkpoint passes it)
        for (String payload : new String[] {
                "{\"table\":\"users\",\"op\":\"UPDATE\",\"session_id\":\"" + ID + "\"}",
                "{\"table\":\"GENERATION_TODOS\",\"op\":\"UPDATE\",\"session_id\":\"" + ID + "\"}",
                "{\"table\":\"generation_sessions_p0\",\"op\":\"DELETE\",\"session_id\":\"" + ID + "\"}",
                "{\"op\":\"UPDATE\",\"session_id\":\"" + ID + "\"}"}) {
            assertThat(parser.parse(payload)).as(payload).isInstanceOf(Signal.Unrouted.class);
            Signal.Unrouted u = (Signal.Unrouted) parser.parse(payload);
            assertThat(u.sessionId()).isEqualTo(java.util.UUID.fromString(ID));
            assertThat(u.source() & io.pgbridge.coalesce.ChangeSources.UNROUTED).isNotZero();
        }
        Signal.Unrouted deleted = (Signal.Unrouted) parser.parse("{\"table\":\"p0\",\"op\":"
                + "\"DELETE\",\"session_id\":\"" + ID + "\"}");
        assertThat(deleted.source() & io.pgbridge.coalesce.ChangeSources.UNROUTED_DELETE)
                .isNotZero();
        assertThat(reason("{\"table\":\"users\",\"op\":\"TRUNCATE\",\"session_id\":\"" + ID
                + "\"}")).isEqualTo(BAD_OPERATION);
    }

    @ParameterizedTest
    @ValueSource(strings = {"TRUNCATE", "Update", "", "UPDATE ", "X"})
    void rejectsOperationsOtherThanInsertUpdateDelete(String op) {
        assertThat(reason("{\"table\":\"generation_todos\",\"op\":\"" + op + "\",\"session_id\":\""
                + ID + "\"}")).isEqualTo(BAD_OPERATION);
    }

    @Test
    void neverThrowsWhateverThePayload() {
        java.util.Random random = new java.util.Random(20241027);
        String valid = "{\"table\":\"generation_todos\",\"op\":\"UPDATE\",\"session_id\":\""
                + ID + "\",\"x\":[1,-2.5e3,true,null,{\"y\":\"\\u00e9\\n\"}]}";
        String alphabet = "{}[]:,\"\\/ u0aeE.-+tfn\t\n" + ID;
        int changes = 0;
        for (int i = 0; i < 50_000; i++) {
            StringBuilder p = new StringBuilder(valid);
            for (int m = 1 + random.nextInt(3); m > 0; m--) {
                int at = random.nextInt(p.length() + 1);
                switch (random.nextInt(3)) {
                    case 0 -> p.insert(at, alphabet.charAt(random.nextInt(alphabet.length())));
                    case 1 -> p.delete(at, Math.min(at + 1 + random.nextInt(4), p.length()));
                    default -> p.setLength(at);
                }
            }
            Signal s = parser.parse(p.toString());
            assertThat(s).as(p.toString()).isNotNull();
            if (s instanceof Signal.Change) {
                changes++;
            }
        }
        assertThat(changes).as("some mutations keep the payload valid").isPositive();
    }

    @Test
    void rejectsChangeWithoutOperation() {
        assertThat(reason("{\"table\":\"generation_todos\",\"session_id\":\"" + ID + "\"}"))
                .isEqualTo(BAD_OPERATION);
    }
}
