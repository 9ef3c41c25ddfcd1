package io.pgbridge.cli;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.joran.JoranConfigurator;
import ch.qos.logback.core.joran.spi.JoranException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * The production logback.xml (tests run with their own): which library lines an operator
 * sees. Loaded into a context of its own, so the test's logging is untouched.
 */
class LogbackConfigTest {

  private static LoggerContext production() throws JoranException {
    LoggerContext context = new LoggerContext();
    JoranConfigurator configurator = new JoranConfigurator();
    configurator.setContext(context);
    configurator.doConfigure(Path.of("src", "main", "resources", "logback.xml").toFile());
    return context;
  }

  @Test
  void kafkaClientWarningsAboutBrokerConnectionsAreShownAndItsConfigDumpsAreNot()
      throws JoranException {
    LoggerContext context = production();

    assertThat(context.getLogger("org.apache.kafka.clients.NetworkClient").isWarnEnabled())
        .isTrue();
    assertThat(context.getLogger("org.apache.kafka.clients.admin.internals.AdminMetadataManager")
        .isWarnEnabled()).isTrue();
    assertThat(context.getLogger("org.apache.kafka.clients.producer.ProducerConfig")
        .isInfoEnabled()).isFalse();
    assertThat(context.getLogger("io.pgbridge.Bridge").isInfoEnabled()).isTrue();
    context.stop();
  }

  @Test
  void theConsoleAppenderIsTheOneLogFormatSwitches() throws JoranException {
    LoggerContext context = production();

    assertThat(context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)
        .getAppender(Logging.APPENDER)).isNotNull();
    context.stop();
  }
}
