package io.pgbridge.bench;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgbridge.testing.TestInfra;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code pgbridge bench writes} end to end, two seconds per run, on the durable server it
 * starts itself: every variant's reader read what the writers wrote (a variant whose reader
 * saw nothing fails the run), and the report has the ratios to the baseline.
 */
class WritesBenchSmokeIT {

  @Test
  @Timeout(300)
  void writesReportsRatiosWithEveryReaderHavingReadTheChanges(@TempDir Path out)
      throws Exception {
    ByteArrayOutputStream log = new ByteArrayOutputStream();
    List<String> args = List.of("--seconds", "2", "--warmup", "1", "--writers", "2",
        "--rounds", "1", "--sessions", "50", "--variants",
        "bare,notify,wal,wal-drain,notify-listen",
        "--kafka", TestInfra.kafkaBootstrap(), "--out", out.toString());
    int exit = WritesBench.run(new BenchArgs(args, Set.of("seconds", "warmup", "writers", "rounds",
        "sessions", "variants", "kafka", "out"), Set.of()),
        new PrintStream(log, true, StandardCharsets.UTF_8));

    String printed = log.toString(StandardCharsets.UTF_8);
    assertThat(exit).as(printed).isZero();
    assertThat(printed).contains("fsync=on").containsPattern("notify +\\d+ tx/s .*bridge read"
        + " [1-9]\\d* changes").containsPattern("wal +\\d+ tx/s .*bridge read [1-9]\\d* changes")
        .containsPattern("wal-drain +\\d+ tx/s .*stream read [1-9]")
        .containsPattern("notify-listen +\\d+ tx/s .*LISTEN read [1-9]");
    String md = Files.readString(out.resolve("writer-cost.md"));
    assertThat(md).contains("| writers | bare tx/s | notify tx/s | wal tx/s | wal-drain tx/s |")
        .contains("| wal / notify |").contains("wal-drain / notify").containsPattern("\\| 2 \\| [1-9]\\d* \\|")
        .contains("each after 1 s of unmeasured writes and the reader caught up");
  }
}
