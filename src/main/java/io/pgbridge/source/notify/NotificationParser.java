package io.pgbridge.source.notify;

import io.pgbridge.coalesce.ChangeSources;
import io.pgbridge.coalesce.ChangeSources.Op;
import java.util.List;
import java.util.UUID;

/**
 * Turns a notification payload into a {@link Signal}. Accepted shapes are flat JSON objects:
 * pgbridge's own {@code {"table":"generation_todos","op":"UPDATE","session_id":"<uuid>"}}, the
 * seed design's {@code {"table","action","session_id","project_id","timestamp"}}, and barriers
 * {@code {"barrier":"<id>"}}. Unknown fields are ignored. A change that names a table which is
 * not configured becomes {@link Signal.Unrouted} (its session id is still good). Anything else
 * becomes {@link Signal.Malformed} with a reason; nothing is thrown, and nothing from the payload reaches
 * SQL except a parsed {@link UUID}.
 *
 * <p>A small hand-written scanner instead of a JSON library: this is the hot path (one call per
 * notification on the listener thread) and the payloads are tiny and flat. Stateless and
 * thread-safe.
 */
public final class NotificationParser {

  public static final String NOT_JSON = "not_json";
  public static final String MISSING_SESSION_ID = "missing_session_id";
  public static final String BAD_SESSION_ID = "bad_session_id";
  public static final String UNKNOWN_TABLE = "unknown_table";
  public static final String BAD_OPERATION = "bad_operation";
  public static final String WRONG_TYPE = "wrong_type";
  /** Every reason a payload is counted as malformed, for the metrics. */
  public static final List<String> REASONS = List.of(NOT_JSON, MISSING_SESSION_ID,
      BAD_SESSION_ID, UNKNOWN_TABLE, BAD_OPERATION, WRONG_TYPE);

  private final ChangeSources sources;

  public NotificationParser(ChangeSources sources) {
    this.sources = sources;
  }

  public Signal parse(String payload) {
    if (payload == null || payload.isEmpty()) {
      return new Signal.Malformed(NOT_JSON, "empty payload");
    }
    Scanner in = new Scanner(payload);
    String table = null;
    String op = null;
    String sessionId = null;
    String barrier = null;
    try {
      in.skipWs();
      in.expect('{');
      in.skipWs();
      if (!in.tryConsume('}')) {
        do {
          in.skipWs();
          String key = in.string();
          in.skipWs();
          in.expect(':');
          in.skipWs();
          switch (key) {
            case "table" -> table = in.stringValue(key);
            case "op", "action", "operation" -> op = in.stringValue(key);
            case "session_id", "sessionId" -> sessionId = in.stringValue(key);
            case "barrier" -> barrier = in.stringValue(key);
            default -> in.skipValue();
          }
          in.skipWs();
        } while (in.tryConsume(','));
        in.expect('}');
      }
      in.skipWs();
      if (!in.atEnd()) {
        throw new ScanException("trailing characters after the object");
      }
    } catch (WrongType e) {
      return new Signal.Malformed(WRONG_TYPE, e.getMessage());
    } catch (ScanException e) {
      return new Signal.Malformed(NOT_JSON, e.getMessage());
    }
    if (barrier != null) {
      return new Signal.Barrier(barrier);
    }
    if (sessionId == null) {
      return new Signal.Malformed(MISSING_SESSION_ID, "no session_id");
    }
    if (!isCanonicalUuid(sessionId)) {
      return new Signal.Malformed(BAD_SESSION_ID, "session_id is not a UUID");
    }
    UUID id = UUID.fromString(sessionId);
    Op operation = op == null ? null : operation(op);
    if (operation == null) {
      return new Signal.Malformed(BAD_OPERATION, "op is not INSERT, UPDATE or DELETE");
    }
    int tableIndex = table == null ? -1 : sources.tableIndex(table);
    if (tableIndex < 0) {
      return new Signal.Unrouted(id, table, operation);
    }
    return new Signal.Change(id, tableIndex, operation);
  }

  /**
   * 8-4-4-4-12 hex digits. {@link UUID#fromString} alone is lenient: it accepts a sign in a
   * group ({@code "+f14e45f-..."}) and reads it as another id.
   */
  private static boolean isCanonicalUuid(String s) {
    if (s.length() != 36) {
      return false;
    }
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

  private static Op operation(String op) {
    return switch (op) {
      case "INSERT", "insert", "I" -> Op.INSERT;
      case "UPDATE", "update", "U" -> Op.UPDATE;
      case "DELETE", "delete", "D" -> Op.DELETE;
      default -> null;
    };
  }

  private static class ScanException extends Exception {
    ScanException(String message) {
      super(message, null, false, false);
    }
  }

  private static final class WrongType extends ScanException {
    WrongType(String message) {
      super(message);
    }
  }

  /** A cursor over the payload; throws {@link ScanException} on anything unexpected. */
  private static final class Scanner {
    private static final int MAX_DEPTH = 32;
    private final String s;
    private int i;

    Scanner(String s) {
      this.s = s;
    }

    boolean atEnd() {
      return i >= s.length();
    }

    void skipWs() {
      while (i < s.length()) {
        char c = s.charAt(i);
        if (c != ' ' && c != '\n' && c != '\r' && c != '\t') {
          return;
        }
        i++;
      }
    }

    void expect(char c) throws ScanException {
      if (i >= s.length() || s.charAt(i) != c) {
        throw new ScanException("expected '" + c + "' at offset " + i);
      }
      i++;
    }

    boolean tryConsume(char c) {
      if (i < s.length() && s.charAt(i) == c) {
        i++;
        return true;
      }
      return false;
    }

    /** A string value for {@code key}; a non-string value is a type error. */
    String stringValue(String key) throws ScanException {
      if (i < s.length() && s.charAt(i) != '"') {
        skipValue();
        throw new WrongType(key + " is not a string");
      }
      return string();
    }

    String string() throws ScanException {
      expect('"');
      int start = i;
      StringBuilder sb = null;
      while (i < s.length()) {
        char c = s.charAt(i);
        if (c == '"') {
          String out = sb == null ? s.substring(start, i) : sb.toString();
          i++;
          return out;
        }
        if (c < 0x20) {
          throw new ScanException("control character in string at offset " + i);
        }
        if (c == '\\') {
          if (sb == null) {
            sb = new StringBuilder(s.length());
            sb.append(s, start, i);
          }
          i++;
          if (i >= s.length()) {
            break;
          }
          char esc = s.charAt(i);
          switch (esc) {
            case '"', '\\', '/' -> sb.append(esc);
            case 'b' -> sb.append('\b');
            case 'f' -> sb.append('\f');
            case 'n' -> sb.append('\n');
            case 'r' -> sb.append('\r');
            case 't' -> sb.append('\t');
            case 'u' -> {
              if (i + 4 >= s.length()) {
                throw new ScanException("truncated \\u escape");
              }
              try {
                sb.append((char) Integer.parseInt(s.substring(i + 1, i + 5), 16));
              } catch (NumberFormatException e) {
                throw new ScanException("bad \\u escape");
              }
              i += 4;
            }
            default -> throw new ScanException("bad escape at offset " + i);
          }
          i++;
        } else {
          if (sb != null) {
            sb.append(c);
          }
          i++;
        }
      }
      throw new ScanException("unterminated string");
    }

    void skipValue() throws ScanException {
      skipValue(0);
    }

    private void skipValue(int depth) throws ScanException {
      if (depth > MAX_DEPTH) {
        throw new ScanException("nested too deeply");
      }
      if (i >= s.length()) {
        throw new ScanException("value expected at end of input");
      }
      char c = s.charAt(i);
      switch (c) {
        case '"' -> string();
        case '{' -> {
          i++;
          skipWs();
          if (tryConsume('}')) {
            return;
          }
          do {
            skipWs();
            string();
            skipWs();
            expect(':');
            skipWs();
            skipValue(depth + 1);
            skipWs();
          } while (tryConsume(','));
          expect('}');
        }
        case '[' -> {
          i++;
          skipWs();
          if (tryConsume(']')) {
            return;
          }
          do {
            skipWs();
            skipValue(depth + 1);
            skipWs();
          } while (tryConsume(','));
          expect(']');
        }
        default -> literal();
      }
    }

    private void literal() throws ScanException {
      int start = i;
      while (i < s.length()) {
        char c = s.charAt(i);
        if ((c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E'
            || (c >= 'a' && c <= 'z')) {
          i++;
        } else {
          break;
        }
      }
      String word = s.substring(start, i);
      if (word.isEmpty()) {
        throw new ScanException("unexpected character at offset " + start);
      }
      if (!word.equals("true") && !word.equals("false") && !word.equals("null")
          && !isNumber(word)) {
        throw new ScanException("not a JSON value at offset " + start);
      }
    }

    private static boolean isNumber(String w) {
      char c0 = w.charAt(0);
      if (!(c0 == '-' || (c0 >= '0' && c0 <= '9'))) {
        return false;
      }
      try {
        Double.parseDouble(w);
        return true;
      } catch (NumberFormatException e) {
        return false;
      }
    }
  }
}
