package io.pgbridge.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgbridge.cli.ExitCodes;
import io.pgbridge.cli.Main;
import io.pgbridge.testing.BridgeHarness;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A channel changed in the configuration after migrating: the triggers still notify the old
 * one. `check` (and `run`) refuse to start, and `migrate` re-creates the triggers.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class ChannelChangeIT {

  @Test
  void aChannelTheTriggersDoNotUseIsRefusedUntilMigrateRecreatesThem() throws Exception {
    BridgeHarness h = BridgeHarness.create("channel_change", 1);
    Path file = Files.createTempFile("pgbridge-channel", ".properties");
    Properties props = new Properties();
    props.putAll(h.settings(Map.of("listen.channel", "other_channel")));
    try (var out = Files.newBufferedWriter(file)) {
      props.store(out, null);
    }
    String[] check = {"--config", file.toString(), "check"};
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    assertThat(Main.run(check, new PrintStream(new ByteArrayOutputStream()),
        new PrintStream(err), Map.of())).isEqualTo(ExitCodes.UNAVAILABLE);
    assertThat(err.toString(StandardCharsets.UTF_8))
        .contains("notifies channel 'generation_updates' but listen.channel is 'other_channel'");

    ByteArrayOutputStream out = new ByteArrayOutputStream();
    assertThat(Main.run(new String[] {"--config", file.toString(), "migrate"},
        new PrintStream(out), new PrintStream(new ByteArrayOutputStream()), Map.of()))
        .isEqualTo(ExitCodes.OK);
    assertThat(out.toString(StandardCharsets.UTF_8)).contains("V002__bridge_objects.sql")
        .contains("V004__recreation_and_truncate.sql");

    ByteArrayOutputStream err2 = new ByteArrayOutputStream();
    assertThat(Main.run(check, new PrintStream(new ByteArrayOutputStream()),
        new PrintStream(err2), Map.of())).as(err2.toString(StandardCharsets.UTF_8))
        .isEqualTo(ExitCodes.OK);
    Files.deleteIfExists(file);
  }

  @Test
  void aTruncateTriggerOnAnotherChannelIsRefusedToo() throws Exception {
    BridgeHarness h = BridgeHarness.create("channel_truncate", 1);
    try (var c = h.connect(); var st = c.createStatement()) {
      st.execute("DROP TRIGGER pgbridge_truncate ON generation_sessions");
      st.execute("CREATE TRIGGER pgbridge_truncate BEFORE TRUNCATE ON generation_sessions"
          + " FOR EACH STATEMENT EXECUTE FUNCTION pgbridge_truncate_sessions('elsewhere',"
          + " 'generation_sessions')");
    }
    assertThat(io.pgbridge.cli.PreflightAccess.problems(h.settings(Map.of())))
        .singleElement().asString().contains("pgbridge_truncate")
        .contains("notifies channel 'elsewhere'");
  }
}
