package io.pgbridge.connection;

import java.io.IOException;
import java.net.ConnectException;
import java.net.UnknownHostException;
import java.sql.SQLException;

/**
 * Classifies database errors by walking the cause chain, the way Debezium's error handler does:
 * connection loss, server shutdown or start-up, an unresolvable host, resource shortage and an
 * object in use (a replication slot another walsender still holds) are transient (retry with
 * backoff);
 * authentication, a missing database or object, and bad SQL are not (stop with a clear error).
 */
public final class SqlErrors {

  private SqlErrors() {}

  public static boolean isTransient(Throwable error) {
    // an unresolvable host is retried too: during a failover or before a database's service
    // exists its name may not resolve yet. A typo in database.url then shows as a process that
    // is alive, not ready, and says "check the host in database.url" in /status and its log,
    // while `pgbridge check` reports it at once.
    if (hasCause(error, UnknownHostException.class)) {
      return true;
    }
    for (Throwable t = error; t != null; t = t.getCause()) {
      if (t instanceof ConnectException || t instanceof IOException) {
        return true;
      }
      if (t instanceof SQLException sql && sql.getSQLState() != null) {
        String state = sql.getSQLState();
        // a cancelled or timed-out statement, a server that is (still) a read-only standby
        // during a failover, and a replication slot still held by a walsender that is going
        // away (the leader lease is the first guard; the slot's exclusivity the second) pass:
        // retry them
        if (state.equals("57014") || state.equals("25006") || state.equals("55006")
            || (state.equals("0A000")
            && String.valueOf(sql.getMessage()).contains("recovery"))) {
          return true;
        }
        if (state.startsWith("28") || state.equals("3D000") || state.startsWith("42")
            || state.equals("3F000") || state.startsWith("0A")) {
          return false;
        }
        if (state.startsWith("08") || state.startsWith("57P") || state.startsWith("53")
            || state.startsWith("40") || state.equals("55P03") || state.equals("58030")) {
          return true;
        }
      }
    }
    return error instanceof SQLException sql && sql.getSQLState() == null;
  }

  /** A one-line description that names the setting to look at for fatal errors. */
  public static String describe(Throwable error) {
    String state = error instanceof SQLException sql ? sql.getSQLState() : null;
    String hint = "";
    if (state != null && state.startsWith("28")) {
      hint = " (check database.user and database.password)";
    } else if ("3D000".equals(state)) {
      hint = " (check the database name in database.url)";
    } else if ("42501".equals(state)) {
      hint = " (grant the role what the README lists under Privileges)";
    } else if (state != null && state.startsWith("42")) {
      hint = " (has `pgbridge migrate` been run? check database.schema and sessions.table)";
    } else if (hasCause(error, UnknownHostException.class)) {
      hint = " (check the host in database.url)";
    } else if ("08001".equals(state) || "08004".equals(state)) {
      hint = " (check the host and port in database.url)";
    }
    return error.getMessage() + (state == null ? "" : " [SQLSTATE " + state + "]") + hint;
  }

  private static boolean hasCause(Throwable error, Class<? extends Throwable> type) {
    for (Throwable t = error; t != null; t = t.getCause()) {
      if (type.isInstance(t)) {
        return true;
      }
    }
    return false;
  }
}
