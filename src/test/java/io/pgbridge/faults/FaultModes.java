package io.pgbridge.faults;

import io.pgbridge.source.SourceMode;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

/**
 * The change sources the fault tests run against: every test takes its {@link SourceMode} from
 * {@link #modes()} ({@code @MethodSource("io.pgbridge.faults.FaultModes#modes")}). System
 * property {@value #PROPERTY} narrows the list ({@code -Dfaults.modes=wal} runs only the WAL
 * parameter of each test); the default is {@value #DEFAULT}.
 */
final class FaultModes {

  static final String PROPERTY = "faults.modes";
  static final String DEFAULT = "notify,wal";

  private FaultModes() {}

  /** The modes named by {@value #PROPERTY}, in the order given; an unknown name fails loudly. */
  static Stream<SourceMode> modes() {
    return parse(System.getProperty(PROPERTY, DEFAULT)).stream();
  }

  static List<SourceMode> parse(String value) {
    Set<SourceMode> modes = new LinkedHashSet<>();
    for (String part : value.split(",")) {
      if (!part.isBlank()) {
        modes.add(SourceMode.of(part));
      }
    }
    if (modes.isEmpty()) {
      throw new IllegalArgumentException(PROPERTY + " names no source mode: '" + value + "'");
    }
    return new ArrayList<>(modes);
  }

  /** {@code prefix_notify} or {@code prefix_wal}: one database (or topic) per mode. */
  static String named(String prefix, SourceMode mode) {
    return prefix + "_" + mode.value();
  }
}
