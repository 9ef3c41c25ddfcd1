package io.pgbridge.bench;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code --name value} / {@code --name=value} / {@code --flag} options of one bench subcommand,
 * checked against the names it accepts so that a typo is an error, not a silent default.
 */
final class BenchArgs {

  private final Map<String, String> values = new HashMap<>();
  private final List<String> positional = new ArrayList<>();

  BenchArgs(List<String> args, Set<String> accepted, Set<String> flags) {
    for (int i = 0; i < args.size(); i++) {
      String a = args.get(i);
      if (!a.startsWith("--")) {
        positional.add(a);
        continue;
      }
      String name = a.substring(2);
      String value = null;
      int eq = name.indexOf('=');
      if (eq >= 0) {
        value = name.substring(eq + 1);
        name = name.substring(0, eq);
      }
      if (flags.contains(name)) {
        values.put(name, value == null ? "true" : value);
        continue;
      }
      if (!accepted.contains(name)) {
        throw new IllegalArgumentException("unknown option --" + name + " (accepted: "
            + accepted + " " + flags + ")");
      }
      if (value == null) {
        if (i + 1 >= args.size()) {
          throw new IllegalArgumentException("--" + name + " needs a value");
        }
        value = args.get(++i);
      }
      values.put(name, value);
    }
  }

  String get(String name, String def) {
    return values.getOrDefault(name, def);
  }

  int getInt(String name, int def) {
    String v = values.get(name);
    try {
      return v == null ? def : Integer.parseInt(v);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("--" + name + " must be an integer, got " + v);
    }
  }

  boolean flag(String name) {
    return Boolean.parseBoolean(values.getOrDefault(name, "false"));
  }

  List<String> positional() {
    return positional;
  }
}
