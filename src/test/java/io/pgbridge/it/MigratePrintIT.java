package io.pgbridge.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.pgbridge.Bridge;
import io.pgbridge.cli.ExitCodes;
import io.pgbridge.cli.Main;
import io.pgbridge.config.ConfigLoader;
import io.pgbridge.testing.BridgeHarness;
import io.pgbridge.testing.SessionWriter;
import io.pgbridge.testing.TestInfra;
import io.pgbridge.testing.TopicReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code pgbridge migrate --print} as a team that runs its own migrations uses it: the script
 * is applied to a fresh database with psql in one transaction (JDBC when no psql is
 * installed), then {@code check} accepts the schema, a bridge publishes from it, and a later
 * {@code migrate} finds nothing to do.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class MigratePrintIT {

  @TempDir
  Path dir;

  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();

  @Test
  void printedScriptAppliedByHandIsAcceptedByCheckRunAndALaterMigrate() throws Exception {
    String url = TestInfra.createDatabase("migrate_print");
    Path config = config(url, TestInfra.newTopic("migrate-print", 1));

    assertThat(cli(config, "migrate", "--print")).as(stderr()).isEqualTo(ExitCodes.OK);
    apply(url, stdout());

    assertThat(cli(config, "check")).as(stderr()).isEqualTo(ExitCodes.OK);
    assertThat(stdout()).contains("database: ok");
    assertThat(cli(config, "migrate")).as(stderr()).isEqualTo(ExitCodes.OK);
    assertThat(stdout()).contains("applied: nothing new");

    Bridge bridge = new Bridge(ConfigLoader.load(config, Map.of()), new SimpleMeterRegistry());
    bridge.start();
    UUID id = UUID.randomUUID();
    Properties settings = read(config);
    try (Connection c = connect(url); TopicReader reader = new TopicReader(
        settings.getProperty("kafka.bootstrap.servers"), settings.getProperty("topic"))) {
      SessionWriter.insert(c, id, UUID.randomUUID(), "{\"printed\":true}");
      assertThat(reader.pollUntil(r -> r.last(id) != null, Duration.ofSeconds(30))).isTrue();
      assertThat(reader.last(id).version()).isEqualTo(SessionWriter.version(c, id));
    } finally {
      bridge.stop();
    }
    assertThat(bridge.failure()).isNull();
  }

  @Test
  void bridgeOnlyScriptFitsAnExistingApplicationSchema() throws Exception {
    String url = TestInfra.createDatabase("migrate_print_existing");
    try (Connection c = connect(url); Statement st = c.createStatement()) {
      st.execute("CREATE TABLE generation_sessions (id uuid PRIMARY KEY, project_id uuid,"
          + " raw_state jsonb, updated_at timestamptz DEFAULT now())");
      for (String child : List.of("generation_todos", "generation_tool_calls",
          "generation_notes")) {
        st.execute("CREATE TABLE " + child + " (id bigserial PRIMARY KEY, session_id uuid"
            + " REFERENCES generation_sessions(id))");
      }
    }
    Path config = config(url, TestInfra.newTopic("migrate-print-existing", 1));

    assertThat(cli(config, "migrate", "--print", "--bridge-only")).isEqualTo(ExitCodes.OK);
    String script = stdout();
    assertThat(script).doesNotContain("V001");
    apply(url, script);

    assertThat(cli(config, "check")).as(stderr()).isEqualTo(ExitCodes.OK);
    assertThat(cli(config, "migrate", "--bridge-only")).as(stderr()).isEqualTo(ExitCodes.OK);
    assertThat(stdout()).contains("applied: nothing new");
  }

  // --- helpers -------------------------------------------------------------------------------

  private Path config(String url, String topic) throws IOException {
    TestInfra.Postgres pg = TestInfra.postgres();
    Properties p = new Properties();
    p.put("database.url", url);
    p.put("database.user", pg.user());
    p.put("database.password", pg.password());
    p.put("kafka.bootstrap.servers", TestInfra.kafkaBootstrap());
    p.put("topic", topic);
    p.put("http.port", "-1");
    BridgeHarness.createHeartbeatTopic(topic);
    Path file = dir.resolve(topic + ".properties");
    try (Writer w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
      p.store(w, null);
    }
    return file;
  }

  private static Properties read(Path file) throws IOException {
    Properties p = new Properties();
    try (var r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      p.load(r);
    }
    return p;
  }

  /** Applies {@code script} as an operator would: psql in one transaction, stopping on error. */
  private void apply(String jdbcUrl, String script) throws Exception {
    Path file = dir.resolve("pgbridge-" + UUID.randomUUID() + ".sql");
    Files.writeString(file, script, StandardCharsets.UTF_8);
    TestInfra.Postgres pg = TestInfra.postgres();
    Optional<Path> psql = psql();
    if (psql.isEmpty()) {
      try (Connection c = connect(jdbcUrl); Statement st = c.createStatement()) {
        c.setAutoCommit(false);
        st.execute(script);
        c.commit();
      }
      return;
    }
    String libpqUrl = jdbcUrl.substring("jdbc:".length()).replaceFirst("\\?.*$", "");
    List<String> command = new ArrayList<>(List.of(psql.get().toString(), "-X", "-q",
        "-v", "ON_ERROR_STOP=1", "--single-transaction", "-U", pg.user(), "-d", libpqUrl,
        "-f", file.toString()));
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
    pb.environment().put("PGPASSWORD", pg.password());
    Process process = pb.start();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(process.exitValue()).as("psql: %s", output).isZero();
    assertThat(output).as("psql output").doesNotContain("ERROR");
  }

  private static Optional<Path> psql() {
    List<Path> candidates = new ArrayList<>();
    for (String d : System.getenv().getOrDefault("PATH", "").split(":")) {
      candidates.add(Path.of(d, "psql"));
    }
    candidates.add(Path.of("/usr/lib/postgresql/15/bin/psql"));
    return candidates.stream().filter(Files::isExecutable).findFirst();
  }

  private static Connection connect(String url) throws Exception {
    TestInfra.Postgres pg = TestInfra.postgres();
    return DriverManager.getConnection(url, pg.user(), pg.password());
  }

  private int cli(Path config, String... args) {
    out.reset();
    err.reset();
    List<String> all = new ArrayList<>(List.of("--config", config.toString()));
    all.addAll(List.of(args));
    try (PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
        PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8)) {
      return Main.run(all.toArray(new String[0]), o, e, Map.of());
    }
  }

  private String stdout() {
    return out.toString(StandardCharsets.UTF_8);
  }

  private String stderr() {
    return err.toString(StandardCharsets.UTF_8);
  }
}
