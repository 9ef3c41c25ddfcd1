package io.pgbridge.source.notify;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.Properties;

/**
 * Opens the listener's dedicated connection, outside the pool: a LISTEN connection must not
 * be shared, and its session-level advisory lock is the leader lease. TCP keepalive and a
 * socket timeout make a dead peer show up as an error instead of a silent hang.
 */
public final class ListenerConnector {

  private final String url;
  private final Properties props = new Properties();

  public ListenerConnector(String url, String user, String password, String applicationName) {
    this.url = url;
    if (!user.isEmpty()) {
      props.setProperty("user", user);
    }
    if (!password.isEmpty()) {
      props.setProperty("password", password);
    }
    props.setProperty("ApplicationName", applicationName);
    props.setProperty("tcpKeepAlive", "true");
    props.setProperty("connectTimeout", "10");
    props.setProperty("socketTimeout", "60");
  }

  public Connection open() throws SQLException {
    Connection c = DriverManager.getConnection(url, props);
    c.setAutoCommit(true);
    return c;
  }
}
