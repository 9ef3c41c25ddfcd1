package io.pgbridge.embedded;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Proves that the embedded server restarts on the same port and data after fast and immediate shutdowns. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class EmbeddedPostgresRestartIT {

    private static EmbeddedPostgresServer server;

    @BeforeAll
    static void startServer() throws Exception {
        server = EmbeddedPostgresServer.start();
        try (Connection connection = connect(); Statement statement = connection.createStatement()) {
            statement.execute("create table survivors(id int)");
        }
    }

    @AfterAll
    static void stopServer() {
        if (server != null) {
            server.close();
        }
    }

    @Test
    void restartsAfterFastShutdownOnSamePortWithData() throws Exception {
        restartsKeepingPortDataAndSettings(false);
    }

    @Test
    void restartsAfterImmediateShutdownThroughCrashRecovery() throws Exception {
        restartsKeepingPortDataAndSettings(true);
    }

    private static void restartsKeepingPortDataAndSettings(boolean immediate) throws Exception {
        int port = server.port();
        try (Connection before = connect()) {
            int rows = query(before, "select count(*) from survivors").getInt(1);
            Timestamp startedBefore = query(before, "select pg_postmaster_start_time()").getTimestamp(1);
            try (Statement statement = before.createStatement()) {
                statement.execute("insert into survivors values (" + (rows + 1) + ")");
            }

            server.restart(immediate);

            assertThat(server.port()).isEqualTo(port);
            assertThatThrownBy(() -> query(before, "select 1")).isInstanceOf(SQLException.class);
            try (Connection after = connect()) {
                assertThat(query(after, "select pg_postmaster_start_time()").getTimestamp(1)).isAfter(startedBefore);
                assertThat(query(after, "select count(*) from survivors").getInt(1)).isEqualTo(rows + 1);
                assertThat(query(after, "show wal_level").getString(1)).isEqualTo("logical");
                assertThat(query(after, "show synchronous_commit").getString(1)).isEqualTo("on");
                assertThat(query(after, "show max_connections").getInt(1)).isGreaterThanOrEqualTo(200);
            }
        }
    }

    private static Connection connect() throws SQLException {
        return DriverManager.getConnection(server.jdbcUrl(), server.user(), server.password());
    }

    /** The first row of a query; the statement closes with the connection. */
    private static ResultSet query(Connection connection, String sql) throws SQLException {
        ResultSet rs = connection.createStatement().executeQuery(sql);
        assertThat(rs.next()).isTrue();
        return rs;
    }
}
