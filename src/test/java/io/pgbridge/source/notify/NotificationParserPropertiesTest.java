package io.pgbridge.source.notify;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgbridge.coalesce.ChangeSources;
import java.util.List;
import java.util.UUID;
import java.util.regex.Pattern;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * The parser reads payloads from anyone allowed to NOTIFY on the channel: whatever arrives,
 * arbitrary strings or JSON that is nearly ours, it returns a signal and never throws, and it
 * never turns an id that is not a canonical UUID into a session.
 */
class NotificationParserPropertiesTest {

  private static final Pattern CANONICAL = Pattern.compile(
      "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}");
  private static final List<String> TABLES = List.of("generation_sessions", "generation_todos",
      "generation_tool_calls", "generation_notes");

  private final NotificationParser parser = new NotificationParser(new ChangeSources(TABLES));

  @Property(tries = 3000)
  void neverThrowsOnArbitraryStrings(@ForAll String payload) {
    assertThat(parser.parse(payload)).isNotNull();
  }

  @Property(tries = 3000)
  void neverThrowsOnNearlyValidJsonAndRoutesOnlyCanonicalIds(
      @ForAll("nearlyValid") String payload) {
    Signal s = parser.parse(payload);
    assertThat(s).isNotNull();
    UUID routed = s instanceof Signal.Change c ? c.sessionId()
        : s instanceof Signal.Unrouted u ? u.sessionId() : null;
    if (routed != null) {
      assertThat(payload).as("a routed payload carries its id canonically")
          .containsIgnoringCase(routed.toString());
    }
  }

  @Property(tries = 3000)
  void neverAcceptsAnIdThatIsNotACanonicalUuid(@ForAll("nearUuids") String id) {
    Signal s = parser.parse("{\"table\":\"generation_todos\",\"op\":\"UPDATE\",\"session_id\":\""
        + id + "\"}");
    boolean routed = s instanceof Signal.Change || s instanceof Signal.Unrouted;
    assertThat(routed).as("%s routed as %s", id, s).isEqualTo(CANONICAL.matcher(id).matches());
    if (routed) {
      assertThat(((Signal.Change) s).sessionId()).isEqualTo(UUID.fromString(id));
    }
  }

  /** Canonical UUIDs, in either case, and small mutations of them. */
  @Provide
  Arbitrary<String> nearUuids() {
    Arbitrary<String> canonical = Arbitraries.create(UUID::randomUUID).map(UUID::toString);
    Arbitrary<String> upper = canonical.map(String::toUpperCase);
    Arbitrary<String> mutated = Combinators.combine(canonical, Arbitraries.integers()
        .between(0, 35), Arbitraries.of('+', '-', 'g', ' ', 'G', '0', '\u0660', 'x', '\u00e9'),
        Arbitraries.integers().between(0, 3)).as((u, at, c, how) -> switch (how) {
          case 0 -> u.substring(0, at) + c + u.substring(at + 1);
          case 1 -> u.substring(0, at) + c + u.substring(at);
          case 2 -> u.substring(0, at) + u.substring(at + 1);
          default -> "{" + u + "}";
        });
    Arbitrary<String> shortForms = Arbitraries.of("1-1-1-1-1", "0-0-0-0-0",
        "+8f14e45f-ceea-467a-9575-7e7a3d1b2c4d".substring(0, 36), "",
        "00000000000000000000000000000000", "8f14e45f-ceea-467a-9575-7e7a3d1b2c4");
    return Arbitraries.frequencyOf(
        net.jqwik.api.Tuple.of(3, canonical), net.jqwik.api.Tuple.of(1, upper),
        net.jqwik.api.Tuple.of(6, mutated), net.jqwik.api.Tuple.of(1, shortForms));
  }

  /** Objects built from our keys, odd values, escapes, nesting and truncation. */
  @Provide
  Arbitrary<String> nearlyValid() {
    Arbitrary<String> key = Arbitraries.of("table", "op", "action", "session_id", "sessionId",
        "barrier", "x", "", "Table", "session_id\\u0000");
    Arbitrary<String> value = Arbitraries.oneOf(
        Arbitraries.of(TABLES).map(t -> "\"" + t + "\""),
        Arbitraries.of("INSERT", "UPDATE", "DELETE", "TRUNCATE", "I").map(o -> "\"" + o + "\""),
        nearUuids().map(u -> "\"" + u + "\""),
        Arbitraries.strings().ofMaxLength(20).map(v -> "\"" + v.replace("\\", "\\\\")
            .replace("\"", "\\\"") + "\""),
        Arbitraries.of("1", "-2.5e3", "true", "null", "[]", "{}", "[1,{\"a\":[null]}]",
            "\"\\u00e9\"", "\"\\uZZZZ\"", "\"unterminated", "01", "--1", "1e", "[[[[[[[["));
    Arbitrary<String> member = Combinators.combine(key, value).as((k, v) -> "\"" + k + "\":" + v);
    Arbitrary<String> object = member.list().ofMaxSize(6)
        .map(members -> "{" + String.join(",", members) + "}");
    return Combinators.combine(object, Arbitraries.integers().between(0, 4),
        Arbitraries.integers().between(0, 200)).as((o, how, cut) -> switch (how) {
          case 0 -> o;
          case 1 -> o.substring(0, Math.min(cut, o.length()));
          case 2 -> " \n\t" + o + " ";
          case 3 -> o + o;
          default -> "[" + o + "]";
        });
  }
}
