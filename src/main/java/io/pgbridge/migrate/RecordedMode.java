package io.pgbridge.migrate;

import io.pgbridge.config.Identifiers;
import io.pgbridge.source.SourceMode;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;

/**
 * The source mode {@code pgbridge migrate} last put a database in, from
 * {@code pgbridge_source_mode} (V011), with the publication it created in WAL mode (null in
 * NOTIFY mode). A database migrated before there were two modes has no such row, or no such
 * table, and is in NOTIFY mode. Read by {@code check}, by a bridge at start and before it
 * stores a checkpoint; immutable.
 */
public record RecordedMode(SourceMode mode, String publication) {

  /** Reads the recorded mode of {@code schema} on {@code conn} (one or two queries). */
  public static RecordedMode read(Connection conn, String schema) throws SQLException {
    String table = Identifiers.qualified(schema, "pgbridge_source_mode");
    try (PreparedStatement ps = conn.prepareStatement("SELECT to_regclass(?) IS NOT NULL")) {
      ps.setString(1, table);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        if (!rs.getBoolean(1)) {
          return new RecordedMode(SourceMode.NOTIFY, null);
        }
      }
    }
    try (PreparedStatement ps = conn.prepareStatement("SELECT mode, publication FROM " + table);
        ResultSet rs = ps.executeQuery()) {
      return rs.next() ? new RecordedMode(SourceMode.of(rs.getString(1)), rs.getString(2))
          : new RecordedMode(SourceMode.NOTIFY, null);
    }
  }

  /**
   * Why a bridge configured with {@code configured} must not run on this database, or null
   * when the modes agree. The message names the command that switches the database.
   */
  public String mismatch(SourceMode configured) {
    if (configured == mode) {
      return null;
    }
    return "the database is migrated for source.mode=" + mode.value() + " but this bridge has"
        + " source.mode=" + configured.value() + ": stop the bridges of the old mode and run"
        + " `pgbridge migrate --source-mode " + configured.value() + "` (see \"Choosing a source"
        + " mode\" in the README), or set source.mode=" + mode.value();
  }
}
