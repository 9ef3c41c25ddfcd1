package io.pgbridge.cli;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.JsonEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.turbo.TurboFilter;
import ch.qos.logback.core.OutputStreamAppender;
import ch.qos.logback.core.encoder.Encoder;
import ch.qos.logback.core.spi.FilterReply;
import io.pgbridge.config.BridgeConfig;
import java.io.PrintStream;
import java.util.Locale;
import java.util.function.Supplier;
import org.slf4j.ILoggerFactory;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;
import org.slf4j.Marker;

/**
 * The {@code pgbridge} command's logging, on top of the bundled {@code logback.xml}:
 * {@code log.format=json} swaps the encoder of its {@value #APPENDER} appender for Logback's
 * own {@link JsonEncoder} (one JSON object per line), and a turbo filter puts the bridge id,
 * instance and role into the MDC of whichever thread logs (pgbridge's, the Kafka producer's,
 * HikariCP's), so every line says which bridge, which replica and in which role wrote it.
 * Installed by the CLI thread once the configuration is loaded; {@link #close()} restores
 * what it changed. A custom Logback configuration without that appender keeps its own format.
 */
final class Logging implements AutoCloseable {

  /** The console appender of the bundled logback.xml. */
  static final String APPENDER = "STDERR";
  static final String MDC_BRIDGE = "bridge";
  static final String MDC_INSTANCE = "instance";
  static final String MDC_ROLE = "role";

  private final LoggerContext context;
  private final OutputStreamAppender<ILoggingEvent> appender;
  private final Encoder<ILoggingEvent> originalEncoder;
  private final ContextFilter filter;

  private Logging(LoggerContext context, OutputStreamAppender<ILoggingEvent> appender,
      Encoder<ILoggingEvent> originalEncoder, ContextFilter filter) {
    this.context = context;
    this.appender = appender;
    this.originalEncoder = originalEncoder;
    this.filter = filter;
  }

  /**
   * Applies {@code log.format} and starts tagging lines with {@code bridge.id}. Without Logback
   * (an embedding application bound SLF4J to something else) nothing changes.
   */
  static Logging configure(BridgeConfig config, PrintStream err) {
    ILoggerFactory factory = LoggerFactory.getILoggerFactory();
    if (!(factory instanceof LoggerContext context)) {
      if (config.jsonLogs()) {
        err.println("warning: log.format=json needs Logback, which is not SLF4J's binding here");
      }
      return new Logging(null, null, null, null);
    }
    OutputStreamAppender<ILoggingEvent> appender = null;
    Encoder<ILoggingEvent> original = null;
    if (context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)
        .getAppender(APPENDER) instanceof OutputStreamAppender<ILoggingEvent> console) {
      appender = console;
      original = console.getEncoder();
    }
    if (config.jsonLogs()) {
      if (appender == null) {
        err.println("warning: log.format=json applies to the bundled logback.xml; the Logback"
            + " configuration in use has no '" + APPENDER + "' appender and keeps its format");
      } else {
        swap(appender, json(context));
      }
    }
    ContextFilter filter = new ContextFilter(config.bridgeId());
    filter.setContext(context);
    filter.start();
    context.addTurboFilter(filter);
    return new Logging(context, config.jsonLogs() ? appender : null, original, filter);
  }

  /** From now on lines also carry the instance id and its current role. */
  void bridge(String instance, Supplier<? extends Enum<?>> role) {
    if (filter != null) {
      filter.instance = instance;
      filter.role = role;
    }
  }

  @Override
  public void close() {
    if (filter != null) {
      context.getTurboFilterList().remove(filter);
      filter.stop();
      MDC.remove(MDC_BRIDGE);
      MDC.remove(MDC_INSTANCE);
      MDC.remove(MDC_ROLE);
    }
    if (appender != null && originalEncoder != null) {
      swap(appender, originalEncoder);
    }
  }

  private static JsonEncoder json(LoggerContext context) {
    JsonEncoder encoder = new JsonEncoder();
    encoder.setContext(context);
    // what a log pipeline indexes; the rest (sequence numbers, logger context, the message
    // template and its arguments apart) only repeats formattedMessage or is noise
    encoder.setWithSequenceNumber(false);
    encoder.setWithNanoseconds(false);
    encoder.setWithContext(false);
    encoder.setWithMessage(false);
    encoder.setWithArguments(false);
    encoder.setWithFormattedMessage(true);
    encoder.start();
    return encoder;
  }

  private static void swap(OutputStreamAppender<ILoggingEvent> appender,
      Encoder<ILoggingEvent> encoder) {
    appender.stop();
    appender.setEncoder(encoder);
    appender.start();
  }

  /**
   * Puts bridge, instance and role into the logging thread's MDC before each event. Called on
   * every logging thread for every logging call, so it only compares and rarely writes.
   */
  private static final class ContextFilter extends TurboFilter {

    private final String bridge;
    private volatile String instance;
    private volatile Supplier<? extends Enum<?>> role;

    ContextFilter(String bridge) {
      this.bridge = bridge;
    }

    @Override
    public FilterReply decide(Marker marker, ch.qos.logback.classic.Logger logger, Level level,
        String format, Object[] params, Throwable t) {
      put(MDC_BRIDGE, bridge);
      String id = instance;
      if (id != null) {
        put(MDC_INSTANCE, id);
      }
      Supplier<? extends Enum<?>> current = role;
      if (current != null) {
        put(MDC_ROLE, current.get().name().toLowerCase(Locale.ROOT));
      }
      return FilterReply.NEUTRAL;
    }

    private static void put(String key, String value) {
      if (!value.equals(MDC.get(key))) {
        MDC.put(key, value);
      }
    }
  }
}
