package io.pgbridge;

import org.apache.kafka.common.utils.AppInfoParser;

/** Versions reported by {@code /status} and {@code --version}. */
public final class Versions {

  private Versions() {}

  public static String pgbridge() {
    String v = Versions.class.getPackage().getImplementationVersion();
    return v == null ? "dev" : v;
  }

  public static String kafkaClient() {
    return AppInfoParser.getVersion();
  }
}
