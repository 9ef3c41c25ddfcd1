package io.pgbridge.source.wal;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Replication slot names: the default derived from {@code bridge.id}, and the check of a
 * configured one. A slot name holds only lower-case letters, digits and underscores, at most 63
 * of them; the derived name keeps the id readable and adds a hash, so that two ids that read
 * alike once cleaned ({@code a-b} and {@code a.b}) still get slots of their own. Pure functions.
 */
public final class SlotNames {

  private static final Pattern VALID = Pattern.compile("[a-z0-9_]{1,63}");
  private static final int READABLE_CHARS = 40;

  private SlotNames() {}

  /**
   * {@code pgbridge_} + the id lower-cased with every character outside {@code [a-z0-9_]} as
   * {@code _}, cut to 40 characters, + {@code _} + the first 8 hex digits of the id's SHA-256.
   */
  public static String derive(String bridgeId) {
    String lower = bridgeId.toLowerCase(Locale.ROOT);
    StringBuilder readable = new StringBuilder(Math.min(lower.length(), READABLE_CHARS));
    for (int i = 0; i < lower.length() && readable.length() < READABLE_CHARS; i++) {
      char c = lower.charAt(i);
      readable.append((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ? c : '_');
    }
    return "pgbridge_" + readable + '_' + sha256Hex(bridgeId).substring(0, 8);
  }

  /** Why {@code name} cannot be a slot name, or null when it can. */
  public static String problem(String name) {
    if (name == null || !VALID.matcher(name).matches()) {
      return "a replication slot name holds 1 to 63 lower-case letters, digits or '_'";
    }
    return null;
  }

  private static String sha256Hex(String s) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
          .digest(s.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java runtime has SHA-256", e);
    }
  }
}
