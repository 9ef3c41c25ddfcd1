package io.pgbridge;

import org.apache.kafka.common.utils.AppInfoParser;
import org.postgresql.util.DriverInfo;

/** Versions reported by {@code /status}, {@code --version} and {@code pgbridge_build_info}. */
public final class Versions {

  private Versions() {}

  public static String pgbridge() {
    String v = Versions.class.getPackage().getImplementationVersion();
    return v == null ? "dev" : v;
  }

  public static String kafkaClient() {
    return AppInfoParser.getVersion();
  }

  /** The PostgreSQL JDBC driver's version. */
  public static String pgjdbc() {
    return DriverInfo.DRIVER_VERSION;
  }
}
