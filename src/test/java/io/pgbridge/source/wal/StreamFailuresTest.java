package io.pgbridge.source.wal;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgbridge.connection.SqlErrors;
import java.sql.SQLException;
import org.junit.jupiter.api.Test;

class StreamFailuresTest {

  private final StreamFailures failures = new StreamFailures();

  @Test
  void aConfigurationErrorIsFatalAtOnceAndNamesMigrate() {
    SQLException e = failures.classify(new WalConfigurationException("the publication sends"
        + " no id column of table sessions"), 0x1000);
    assertThat(SqlErrors.isTransient(e)).isFalse();
    assertThat(e.getMessage()).contains("pgbridge migrate --source-mode wal").contains("0/1000");
  }

  @Test
  void aProtocolErrorIsRetriedOnceThenFatalAtTheSamePosition() {
    WalProtocolException bad = new WalProtocolException("unknown pgoutput message type 'Z'");
    assertThat(SqlErrors.isTransient(failures.classify(bad, 0x2000))).isTrue();
    SQLException again = failures.classify(bad, 0x2000);
    assertThat(SqlErrors.isTransient(again)).isFalse();
    assertThat(again.getMessage()).contains("0/2000").contains("again");
  }

  @Test
  void protocolErrorsAtDifferentPositionsStayTransient() {
    WalProtocolException bad = new WalProtocolException("message cut short");
    assertThat(SqlErrors.isTransient(failures.classify(bad, 0x2000))).isTrue();
    assertThat(SqlErrors.isTransient(failures.classify(bad, 0x3000))).isTrue();
    assertThat(SqlErrors.isTransient(failures.classify(bad, 0x2000))).isTrue();
  }
}
