package io.pgbridge.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(30)
class MainTest {

    @TempDir
    Path dir;

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private int run(Map<String, String> env, String... args) {
        return Main.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8), env);
    }

    private int run(String... args) {
        return run(Map.of(), args);
    }

    private String out() {
        return out.toString(StandardCharsets.UTF_8);
    }

    private String err() {
        return err.toString(StandardCharsets.UTF_8);
    }

    /** Valid addresses nobody listens on, plus settings that fail validation. */
    private Path invalidConfig() throws IOException {
        Path f = dir.resolve("pgbridge.properties");
        Files.write(f, List.of("database.url=jdbc:postgresql://127.0.0.1:1/app",
                "database.password=hunter2", "kafka.bootstrap.servers=127.0.0.1:1",
                "debounce.ms=-1", "debounce.mss=5"), StandardCharsets.UTF_8);
        return f;
    }

    @Test
    void helpPrintsUsageAndExitsZero() {
        assertThat(run("--help")).isEqualTo(ExitCodes.OK);
        assertThat(out()).startsWith("Usage: pgbridge").contains("config-docs").contains("Exit codes");
        assertThat(err()).isEmpty();
    }

    @Test
    void helpAfterACommandPrintsThatCommandsHelp() {
        assertThat(run("run", "-h")).isEqualTo(ExitCodes.OK);
        assertThat(out()).startsWith("Usage: pgbridge [--config FILE] run\n")
                .contains("SIGTERM").doesNotContain("Commands:");
    }

    @Test
    void everyCommandHasItsOwnHelpListedInTheOverview() {
        String overview = Main.usage();
        for (Command c : Main.COMMANDS) {
            assertThat(overview).as(c.name()).contains("\n  " + c.name() + " ");
            if (c.ownHelp()) {
                continue;
            }
            out.reset();
            assertThat(run(c.name(), "--help")).as(c.name()).isEqualTo(ExitCodes.OK);
            String help = out();
            assertThat(help).as(c.name()).startsWith("Usage: pgbridge")
                    .contains(" " + c.name()).contains("Exit codes").isNotEqualTo(overview);
            out.reset();
            assertThat(run("help", c.name())).isEqualTo(ExitCodes.OK);
            assertThat(out()).isEqualTo(help);
            out.reset();
            assertThat(run("--config", "x.properties", c.name(), "--help")).isEqualTo(ExitCodes.OK);
            assertThat(out()).isEqualTo(help);
        }
    }

    @Test
    void migrateHelpDescribesItsOptions() {
        assertThat(run("migrate", "--help")).isEqualTo(ExitCodes.OK);
        assertThat(out()).contains("--bridge-only").contains("--print")
                .contains("pgbridge_schema_history");
    }

    @Test
    void migrateHelpNamesTheSourceMode() {
        assertThat(run("migrate", "--help")).isEqualTo(ExitCodes.OK);
        assertThat(out()).contains("--source-mode").contains("notify or wal");
    }

    /** A configuration that loads; nothing listens on its addresses. */
    private Path validConfig(String... extra) throws IOException {
        Path f = dir.resolve("valid.properties");
        List<String> lines = new java.util.ArrayList<>(List.of(
                "database.url=jdbc:postgresql://127.0.0.1:1/app",
                "kafka.bootstrap.servers=127.0.0.1:1"));
        lines.addAll(List.of(extra));
        Files.write(f, lines, StandardCharsets.UTF_8);
        return f;
    }

    @Test
    void migratePrintWritesTheModeFromTheOptionOrTheConfiguration() throws IOException {
        String config = "--config=" + validConfig("wal.publication.name=bridge_pub");
        assertThat(run(config, "migrate", "--print")).isEqualTo(ExitCodes.OK);
        assertThat(out()).contains("source.mode=notify")
                .contains("pgbridge_source_mode_apply('notify', 'bridge_pub', 'generation_updates')");
        out.reset();
        assertThat(run(config, "migrate", "--print", "--source-mode", "wal")).isEqualTo(ExitCodes.OK);
        assertThat(out()).contains("wal.publication.name=bridge_pub")
                .contains("pgbridge_source_mode_apply('wal', 'bridge_pub', 'generation_updates')");
        out.reset();
        String walConfig = "--config=" + validConfig("source.mode=wal");
        assertThat(run(walConfig, "migrate", "--source-mode=notify", "--print"))
                .isEqualTo(ExitCodes.OK);
        assertThat(out()).contains("pgbridge_source_mode_apply('notify', 'pgbridge',");
        out.reset();
        assertThat(run(walConfig, "migrate", "--print")).isEqualTo(ExitCodes.OK);
        assertThat(out()).contains("pgbridge_source_mode_apply('wal', 'pgbridge',");
    }

    @Test
    void migrateRefusesAnUnknownSourceMode() throws IOException {
        String config = "--config=" + validConfig();
        assertThat(run(config, "migrate", "--print", "--source-mode", "logical"))
                .isEqualTo(ExitCodes.BAD_CONFIG);
        assertThat(err()).contains("--source-mode must be notify or wal, not 'logical'");
        assertThat(out()).doesNotContain("pgbridge_source_mode_apply");
        assertThat(run(config, "migrate", "--print", "--source-mode")).isEqualTo(ExitCodes.BAD_CONFIG);
        assertThat(err()).contains("--source-mode needs notify or wal");
    }

    @Test
    void helpForAnUnknownCommandIsAUsageError() {
        assertThat(run("help", "frobnicate")).isEqualTo(ExitCodes.BAD_CONFIG);
        assertThat(err()).contains("unknown command 'frobnicate'");
    }

    @Test
    void commandsWithoutOptionsRejectArguments() throws IOException {
        Path config = dir.resolve("ok.properties");
        Files.write(config, List.of("database.url=jdbc:postgresql://127.0.0.1:1/app",
                "kafka.bootstrap.servers=127.0.0.1:1"), StandardCharsets.UTF_8);
        assertThat(run("--config", config.toString(), "run", "--bridge-only"))
                .isEqualTo(ExitCodes.BAD_CONFIG);
        assertThat(err()).contains("run: unexpected argument --bridge-only");
        assertThat(run("--config", config.toString(), "check", "now"))
                .isEqualTo(ExitCodes.BAD_CONFIG);
        assertThat(err()).contains("check: unexpected argument now");
    }

    @Test
    void versionPrintsVersionsAndExitsZero() {
        assertThat(run("--version")).isEqualTo(ExitCodes.OK);
        assertThat(out()).startsWith("pgbridge ").contains("kafka-clients ").contains("pgjdbc 42.");
    }

    @Test
    void noCommandIsAUsageError() {
        assertThat(run()).isEqualTo(ExitCodes.BAD_CONFIG);
        assertThat(err()).startsWith("Usage: pgbridge");
        assertThat(out()).isEmpty();
    }

    @Test
    void unknownCommandIsAUsageError() {
        assertThat(run("frobnicate")).isEqualTo(ExitCodes.BAD_CONFIG);
        assertThat(err()).contains("unknown command 'frobnicate'").contains("Usage: pgbridge");
        assertThat(out()).isEmpty();
    }

    @Test
    void configDocsPrintsAMarkdownTable() {
        assertThat(run("config-docs")).isEqualTo(ExitCodes.OK);
        assertThat(out()).startsWith("| key | type | default |")
                .contains("| `database.url` |").contains("| `debounce.ms` |");
    }

    @Test
    void configDocsPrintsOtherFormatsAndRejectsUnknownOnes() {
        assertThat(run("config-docs", "--format", "properties")).isEqualTo(ExitCodes.OK);
        assertThat(out()).contains("\ndatabase.url=").contains("\n#debounce.ms=100\n");
        assertThat(run("config-docs", "--format=yaml")).isEqualTo(ExitCodes.BAD_CONFIG);
        assertThat(run("config-docs", "extra")).isEqualTo(ExitCodes.BAD_CONFIG);
        assertThat(err()).contains("--format").contains("unexpected argument extra");
    }

    @Test
    void configDocsNeedsNoConfiguration() {
        assertThat(run(Map.of("PGBRIDGE_CONFIG", dir.resolve("missing").toString()), "config-docs"))
                .isEqualTo(ExitCodes.OK);
    }

    @Test
    void runWithInvalidConfigExitsTwoBeforeConnecting() throws IOException {
        assertThat(run("--config", invalidConfig().toString(), "run")).isEqualTo(ExitCodes.BAD_CONFIG);
        assertThat(err()).contains("configuration problem(s)").contains("debounce.ms")
                .contains("debounce.mss: unknown setting")
                .doesNotContain("problem: ") // Preflight, which connects, never ran
                .doesNotContain("hunter2");
        assertThat(out()).isEmpty();
    }

    @Test
    void configFileComesFromTheEnvironmentToo() throws IOException {
        Map<String, String> env = Map.of("PGBRIDGE_CONFIG", invalidConfig().toString());
        assertThat(run(env, "run")).isEqualTo(ExitCodes.BAD_CONFIG);
        assertThat(err()).contains("debounce.mss: unknown setting");
    }

    @Test
    void checkAndMigrateAlsoValidateBeforeConnecting() throws IOException {
        String config = "--config=" + invalidConfig();
        assertThat(run(config, "check")).isEqualTo(ExitCodes.BAD_CONFIG);
        assertThat(run(config, "migrate")).isEqualTo(ExitCodes.BAD_CONFIG);
        assertThat(out()).doesNotContain("configuration: ok");
    }

    @Test
    void missingConfigFileIsReported() {
        Path missing = dir.resolve("nope.properties");
        assertThat(run("--config", missing.toString(), "run")).isEqualTo(ExitCodes.BAD_CONFIG);
        assertThat(err()).contains(missing.toString()).contains("does not exist");
    }

    @Test
    void configOptionWithoutFileIsAUsageError() {
        assertThat(run("run", "--config")).isEqualTo(ExitCodes.BAD_CONFIG);
        assertThat(err()).contains("--config needs a file");
    }
}
