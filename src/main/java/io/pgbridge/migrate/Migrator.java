package io.pgbridge.migrate;

import io.pgbridge.config.Identifiers;
import io.pgbridge.source.SourceMode;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies the ordered SQL files of {@code sql/} (listed in {@code sql/migrations.list}, shipped
 * inside the jar) and records each in {@code pgbridge_schema_history}. A file already recorded
 * is skipped; every file is also written to be harmless when applied again. Placeholders
 * {@code ${schema}}, {@code ${sessions_table}} and {@code ${channel}} are replaced by validated
 * identifiers. After the files, in the same transaction, the database is put in the source
 * mode this migrator was made for ({@code pgbridge_source_mode_apply}, V011): that mode's
 * triggers, for WAL the publication and the child tables' replica identity, the other mode's
 * objects dropped, the mode recorded. Runs on the caller's thread with one connection;
 * concurrent migrators wait on an advisory lock.
 */
public final class Migrator {

  private static final Logger log = LoggerFactory.getLogger(Migrator.class);
  private static final String RESOURCE_DIR = "sql/";
  private static final long LOCK_KEY = 0x70676272_6d696772L; // "pgbrmigr"

  /** One migration file. */
  public record Migration(String version, String description, String file, String sql) {

    public boolean isReferenceSchema() {
      return description.contains("reference");
    }
  }

  /**
   * What a run did: files applied and skipped, and what putting the database in the source
   * mode changed (one line each; empty when it already was as asked).
   */
  public record Result(List<String> applied, List<String> skipped, List<String> modeChanges) {}

  private final String schema;
  private final String sessionsTable;
  private final String channel;
  private final SourceMode mode;
  private final String publication;
  private final Map<String, String> placeholders = new HashMap<>();

  /** A migrator for {@code source.mode=notify}, as before there were two modes. */
  public Migrator(String schema, String sessionsTable, String channel) {
    this(schema, sessionsTable, channel, SourceMode.NOTIFY, "pgbridge");
  }

  /**
   * A migrator that leaves the database in {@code mode}; {@code publication} is
   * {@code wal.publication.name} (created in WAL mode, dropped when leaving it).
   */
  public Migrator(String schema, String sessionsTable, String channel, SourceMode mode,
      String publication) {
    Identifiers.quote(schema);
    Identifiers.quote(sessionsTable);
    Identifiers.quote(channel);
    Identifiers.quote(publication);
    if (mode == null) {
      throw new IllegalArgumentException("source mode must be given");
    }
    this.schema = schema;
    this.sessionsTable = sessionsTable;
    this.channel = channel;
    this.mode = mode;
    this.publication = publication;
    placeholders.put("${schema}", schema);
    placeholders.put("${sessions_table}", sessionsTable);
    placeholders.put("${channel}", channel);
  }

  String schema() {
    return schema;
  }

  String sessionsTable() {
    return sessionsTable;
  }

  String channel() {
    return channel;
  }

  SourceMode mode() {
    return mode;
  }

  String publication() {
    return publication;
  }

  /** The migrations shipped with this build, in order. */
  public static List<Migration> bundled() {
    String list = resource("migrations.list");
    List<Migration> out = new ArrayList<>();
    for (String line : list.split("\n")) {
      String file = line.strip();
      if (file.isEmpty() || file.startsWith("#")) {
        continue;
      }
      int sep = file.indexOf("__");
      if (!file.startsWith("V") || sep < 0 || !file.endsWith(".sql")) {
        throw new IllegalStateException("bad migration file name " + file);
      }
      out.add(new Migration(file.substring(1, sep),
          file.substring(sep + 2, file.length() - 4).replace('_', ' '), file, resource(file)));
    }
    return out;
  }

  /** Applies what is not yet recorded; with {@code bridgeOnly}, skips the reference schema. */
  public Result migrate(Connection conn, boolean bridgeOnly) throws SQLException {
    List<String> applied = new ArrayList<>();
    List<String> skipped = new ArrayList<>();
    boolean autoCommit = conn.getAutoCommit();
    conn.setAutoCommit(false);
    try {
      try (Statement st = conn.createStatement()) {
        for (String statement : preamble()) {
          st.execute(statement);
        }
      }
      Map<String, String> done = appliedVersions(conn);
      // Every file is idempotent, so a file whose text changed since it was recorded (most
      // often: a different channel, schema or table substituted) is applied again, and so is
      // every file after it, because later files redefine objects that earlier ones create.
      boolean reapplyRest = false;
      for (Migration m : bundled()) {
        String sql = substitute(m.sql());
        String checksum = checksum(sql);
        boolean recorded = done.containsKey(m.version());
        if (recorded && !reapplyRest && done.get(m.version()).equals(checksum)) {
          skipped.add(m.file());
          continue;
        }
        if (!recorded && bridgeOnly && m.isReferenceSchema()) {
          skipped.add(m.file());
          continue;
        }
        try (Statement st = conn.createStatement()) {
          st.execute(sql);
        }
        try (PreparedStatement ps = conn.prepareStatement(String.format(RECORD, history(),
            "?", "?", "?"))) {
          ps.setString(1, m.version());
          ps.setString(2, m.description());
          ps.setString(3, checksum);
          ps.executeUpdate();
        }
        applied.add(m.file());
        if (recorded) {
          reapplyRest = true;
          log.info("re-applied migration {} (its text or placeholders changed)", m.file());
        } else {
          log.info("applied migration {}", m.file());
        }
      }
      List<String> modeChanges = applyMode(conn);
      conn.commit();
      return new Result(applied, skipped, modeChanges);
    } catch (SQLException | RuntimeException e) {
      conn.rollback();
      throw e;
    } finally {
      conn.setAutoCommit(autoCommit);
    }
  }

  /**
   * Puts the database in this migrator's mode, on every run: besides switching modes, this
   * installs the TRUNCATE trigger on partitions attached since the last run (statement
   * triggers are not cloned to partitions, see V006) and, in WAL mode, their replica identity.
   */
  private List<String> applyMode(Connection conn) throws SQLException {
    List<String> changes = new ArrayList<>();
    try (PreparedStatement ps = conn.prepareStatement("SELECT * FROM " + Identifiers.quote(schema)
        + ".pgbridge_source_mode_apply(?, ?, ?)")) {
      ps.setString(1, mode.value());
      ps.setString(2, publication);
      ps.setString(3, channel);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          changes.add(rs.getString(1));
          log.info("source.mode={}: {}", mode.value(), rs.getString(1));
        }
      }
    }
    return changes;
  }

  /** The statement that puts the database in this migrator's mode, for a printed script. */
  String modeStatement() {
    return "SELECT * FROM " + Identifiers.quote(schema) + ".pgbridge_source_mode_apply("
        + Identifiers.literal(mode.value()) + ", " + Identifiers.literal(publication) + ", "
        + Identifiers.literal(channel) + ")";
  }

  /** Versions already recorded, with their checksums. */
  public Map<String, String> appliedVersions(Connection conn) throws SQLException {
    Map<String, String> out = new HashMap<>();
    try (PreparedStatement ps = conn.prepareStatement(
        "SELECT to_regclass(?) IS NOT NULL")) {
      ps.setString(1, Identifiers.quote(schema) + ".pgbridge_schema_history");
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        if (!rs.getBoolean(1)) {
          return out;
        }
      }
    }
    try (Statement st = conn.createStatement();
        ResultSet rs = st.executeQuery("SELECT version, checksum FROM " + history())) {
      while (rs.next()) {
        out.put(rs.getString(1), rs.getString(2));
      }
    }
    return out;
  }

  /**
   * {@code sql} with the placeholders replaced (for applying a file by hand). Identifiers may
   * hold {@code $}, and a name with {@code $$} would end a {@code $$}-quoted function body
   * early: then the bodies are quoted with a tag that no substituted name contains (the text,
   * and so the checksum, of names without {@code $} stays as it always was).
   */
  public String substitute(String sql) {
    if (placeholders.values().stream().noneMatch(v -> v.contains("$"))) {
      return replacePlaceholders(sql);
    }
    int bodies = occurrences(sql, "$$");
    for (int n = 0; ; n++) {
      String tag = "$pgbridge" + (n == 0 ? "" : Integer.toString(n)) + "$";
      String out = replacePlaceholders(sql.replace("$$", tag));
      if (occurrences(out, tag) == bodies) {
        return out;
      }
    }
  }

  private String replacePlaceholders(String sql) {
    String out = sql;
    for (Map.Entry<String, String> e : placeholders.entrySet()) {
      out = out.replace(e.getKey(), e.getValue());
    }
    return out;
  }

  private static int occurrences(String text, String part) {
    int count = 0;
    for (int i = text.indexOf(part); i >= 0; i = text.indexOf(part, i + part.length())) {
      count++;
    }
    return count;
  }

  /**
   * What runs before the files, in the same transaction: the lock that serialises migrators,
   * the schema and the history table.
   */
  List<String> preamble() {
    return List.of("SELECT pg_advisory_xact_lock(" + LOCK_KEY + ")",
        "CREATE SCHEMA IF NOT EXISTS " + Identifiers.quote(schema),
        "CREATE TABLE IF NOT EXISTS " + history() + " (version text PRIMARY KEY,"
            + " description text NOT NULL, checksum text NOT NULL,"
            + " applied_at timestamptz NOT NULL DEFAULT now())");
  }

  /** The statement that records one applied file: history table, version, description, checksum. */
  static final String RECORD = "INSERT INTO %s (version, description, checksum) VALUES (%s, %s,"
      + " %s) ON CONFLICT (version) DO UPDATE SET checksum = EXCLUDED.checksum,"
      + " applied_at = now()";

  String history() {
    return Identifiers.qualified(schema, "pgbridge_schema_history");
  }

  private static String resource(String name) {
    try (InputStream in = Migrator.class.getClassLoader()
        .getResourceAsStream(RESOURCE_DIR + name)) {
      if (in == null) {
        throw new IllegalStateException("migration resource " + RESOURCE_DIR + name
            + " is missing from the build");
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new IllegalStateException("cannot read " + RESOURCE_DIR + name, e);
    }
  }

  /** The checksum recorded for a file's filled-in text. */
  static String checksum(String text) {
    try {
      return HexFormat.of().formatHex(
          MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
