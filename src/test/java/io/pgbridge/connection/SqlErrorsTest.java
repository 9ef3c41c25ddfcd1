package io.pgbridge.connection;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.EOFException;
import java.io.IOException;
import java.net.ConnectException;
import java.net.SocketException;
import java.net.UnknownHostException;
import java.sql.SQLException;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;
import org.postgresql.util.PSQLException;
import org.postgresql.util.PSQLState;

/**
 * Which database errors the source runner retries (with backoff) and which stop the bridge: the
 * exceptions are built the way pgjdbc builds them, cause chains included.
 */
class SqlErrorsTest {

  @ParameterizedTest
  @ValueSource(strings = {"08006", "08001", "08003", "57P01", "57P03", "53300", "40001",
      "57014", "25006", "55006"})
  void connectionLossShutdownResourceShortageAndASlotInUseAreTransient(String sqlState) {
    assertThat(SqlErrors.isTransient(new SQLException("server said no", sqlState))).isTrue();
  }

  @ParameterizedTest
  @ValueSource(strings = {"28P01", "28000", "3D000", "42P01", "42501", "3F000"})
  void authenticationAndMissingObjectsAreFatal(String sqlState) {
    assertThat(SqlErrors.isTransient(new SQLException("server said no", sqlState))).isFalse();
  }

  @Test
  void anIoErrorBelowTheDriverIsTransient() {
    SQLException e = new PSQLException("An I/O error occurred while sending to the backend.",
        PSQLState.CONNECTION_FAILURE, new SocketException("Connection reset"));
    assertThat(SqlErrors.isTransient(e)).isTrue();
    assertThat(SqlErrors.isTransient(new SQLException("closed", null, new EOFException())))
        .isTrue();
    assertThat(SqlErrors.isTransient(new RuntimeException(new IOException("broken pipe"))))
        .isTrue();
  }

  @Test
  void aRefusedConnectionIsTransient() {
    SQLException e = new PSQLException("Connection to localhost:1 refused.",
        PSQLState.CONNECTION_UNABLE_TO_CONNECT, new ConnectException("Connection refused"));
    assertThat(SqlErrors.isTransient(e)).isTrue();
    assertThat(SqlErrors.describe(e)).contains("database.url");
  }

  @Test
  void anUnknownHostIsRetriedAndNamesTheUrlSetting() {
    // pgjdbc reports an unresolvable host as 08001 with the UnknownHostException as cause; a
    // database's name may not resolve yet during a failover or before its service exists
    SQLException e = new PSQLException("The connection attempt failed.",
        PSQLState.CONNECTION_UNABLE_TO_CONNECT, new UnknownHostException("db.example.invalid"));
    assertThat(SqlErrors.isTransient(e)).isTrue();
    assertThat(SqlErrors.isTransient(new UnknownHostException("db.example.invalid"))).isTrue();
    assertThat(SqlErrors.describe(e)).contains("database.url");
  }

  @Test
  void aServerThatIsStartingUpIsRetried() {
    assertThat(SqlErrors.isTransient(new SQLException(
        "FATAL: the database system is starting up", "57P03"))).isTrue();
  }

  @Test
  void authenticationFailureDescriptionNamesTheCredentialSettings() {
    SQLException e = new PSQLException("FATAL: password authentication failed for user \"app\"",
        PSQLState.INVALID_PASSWORD);
    assertThat(SqlErrors.isTransient(e)).isFalse();
    assertThat(SqlErrors.describe(e)).contains("database.user").contains("database.password");
  }

  @Test
  void aFatalStateWinsOverAnIoCauseFurtherDown() {
    SQLException e = new SQLException("no such database", "3D000", new IOException("later"));
    assertThat(SqlErrors.isTransient(e)).isFalse();
  }

  @Test
  void listenOnAServerStillInRecoveryIsTransientButOtherFeatureErrorsAreNot() {
    assertThat(SqlErrors.isTransient(new SQLException(
        "cannot execute LISTEN during recovery", "0A000"))).isTrue();
    assertThat(SqlErrors.isTransient(new SQLException(
        "feature not supported", "0A000"))).isFalse();
  }
}
