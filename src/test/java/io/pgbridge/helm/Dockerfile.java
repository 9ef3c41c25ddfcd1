package io.pgbridge.helm;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The instructions of the repository's {@code Dockerfile} and {@code .dockerignore}, read
 * without Docker (none runs on the build machines): enough to check what the image copies and
 * how it starts against the chart and the Maven artifact.
 */
final class Dockerfile {

  static final Path FILE = Path.of("Dockerfile").toAbsolutePath();
  static final Path IGNORE = Path.of(".dockerignore").toAbsolutePath();

  /** One instruction: upper-case keyword and its argument text, continuations joined. */
  record Instruction(String keyword, String arguments) {}

  final List<Instruction> instructions;

  private Dockerfile(List<Instruction> instructions) {
    this.instructions = instructions;
  }

  static Dockerfile read() {
    List<Instruction> out = new ArrayList<>();
    StringBuilder current = new StringBuilder();
    for (String line : lines(FILE)) {
      String trimmed = line.strip();
      if (current.length() == 0 && (trimmed.isEmpty() || trimmed.startsWith("#"))) {
        continue;
      }
      if (trimmed.endsWith("\\")) {
        current.append(trimmed, 0, trimmed.length() - 1).append(' ');
        continue;
      }
      current.append(trimmed);
      String text = current.toString().strip();
      current.setLength(0);
      int space = text.indexOf(' ');
      out.add(new Instruction(text.substring(0, space).toUpperCase(),
          text.substring(space + 1).strip()));
    }
    return new Dockerfile(out);
  }

  /** The instructions of the last stage: the default build target (the bridge). */
  Dockerfile lastStage() {
    int from = 0;
    for (int i = 0; i < instructions.size(); i++) {
      if (instructions.get(i).keyword().equals("FROM")) {
        from = i;
      }
    }
    return new Dockerfile(instructions.subList(from, instructions.size()));
  }

  /** The instructions of the stage named {@code name} ({@code FROM image AS name}). */
  Dockerfile stage(String name) {
    int from = -1;
    for (int i = 0; i < instructions.size(); i++) {
      Instruction in = instructions.get(i);
      if (in.keyword().equals("FROM")) {
        if (from >= 0) {
          return new Dockerfile(instructions.subList(from, i));
        }
        if (in.arguments().toLowerCase().endsWith(" as " + name)) {
          from = i;
        }
      }
    }
    if (from < 0) {
      throw new AssertionError("no stage " + name + " in " + FILE);
    }
    return new Dockerfile(instructions.subList(from, instructions.size()));
  }

  List<String> all(String keyword) {
    return instructions.stream().filter(i -> i.keyword().equals(keyword))
        .map(Instruction::arguments).toList();
  }

  String last(String keyword) {
    List<String> found = all(keyword);
    if (found.isEmpty()) {
      throw new AssertionError("no " + keyword + " in " + FILE);
    }
    return found.get(found.size() - 1);
  }

  /** The exec (JSON array) form of ENTRYPOINT or CMD; the shell form is rejected. */
  List<String> execForm(String keyword) {
    try {
      return new ObjectMapper().readValue(last(keyword), new TypeReference<List<String>>() {});
    } catch (IOException e) {
      throw new AssertionError(keyword + " is not in exec form: " + last(keyword), e);
    }
  }

  /** Every {@code ARG} with its default (empty when it has none). */
  Map<String, String> args() {
    Map<String, String> out = new LinkedHashMap<>();
    for (String arg : all("ARG")) {
      int eq = arg.indexOf('=');
      out.put(eq < 0 ? arg : arg.substring(0, eq), eq < 0 ? "" : unquote(arg.substring(eq + 1)));
    }
    return out;
  }

  /** Every {@code ENV} variable of the {@code key=value} form with its value, unquoted. */
  Map<String, String> env() {
    return keyValues("ENV");
  }

  /** Every {@code LABEL} key with its value as written (build args not substituted). */
  Map<String, String> labels() {
    return keyValues("LABEL");
  }

  /** The {@code key=value} pairs of every {@code keyword} instruction, values unquoted. */
  private Map<String, String> keyValues(String keyword) {
    Map<String, String> out = new LinkedHashMap<>();
    for (String args : all(keyword)) {
      Matcher m = KEY_VALUE.matcher(args);
      while (m.find()) {
        out.put(m.group(1), unquote(m.group(2)));
      }
    }
    return out;
  }

  private static final Pattern KEY_VALUE =
      Pattern.compile("([A-Za-z0-9._-]+)=(\"(?:[^\"\\\\]|\\\\.)*\"|\\S+)");

  private static String unquote(String value) {
    return value.length() >= 2 && value.startsWith("\"") && value.endsWith("\"")
        ? value.substring(1, value.length() - 1) : value;
  }

  /** Sources of every COPY, relative to the build context, without a trailing slash. */
  List<String> copySources() {
    List<String> sources = new ArrayList<>();
    for (String args : all("COPY")) {
      List<String> words = new ArrayList<>(List.of(args.split("\\s+")));
      words.removeIf(w -> w.startsWith("--"));
      for (String source : words.subList(0, words.size() - 1)) {
        sources.add(source.replaceAll("/+$", ""));
      }
    }
    return sources;
  }

  /** The .dockerignore lines that re-include a path ({@code !path}), without the '!'. */
  static List<String> reIncluded() {
    return lines(IGNORE).stream().map(String::strip).filter(l -> l.startsWith("!"))
        .map(l -> l.substring(1).replaceAll("/+$", "")).toList();
  }

  static List<String> ignoreLines() {
    return lines(IGNORE).stream().map(String::strip)
        .filter(l -> !l.isEmpty() && !l.startsWith("#")).toList();
  }

  private static List<String> lines(Path file) {
    try {
      return Files.readAllLines(file);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
