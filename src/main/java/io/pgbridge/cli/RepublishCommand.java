package io.pgbridge.cli;

import io.pgbridge.config.BridgeConfig;
import io.pgbridge.config.Identifiers;
import io.pgbridge.source.notify.ListenerConnector;
import io.pgbridge.connection.SqlErrors;
import io.pgbridge.republish.RepublishRequest;
import io.pgbridge.republish.RepublishRequest.Scope;
import io.pgbridge.republish.RepublishStore;
import java.io.PrintStream;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * {@code pgbridge republish (--session ID... | --project ID | --all) [--wait [--timeout S]]}:
 * queues a republish request in the database for whichever instance of {@code bridge.id} leads,
 * prints its id and, with {@code --wait}, follows it until every session it covers has been
 * republished and acknowledged. Runs on the CLI thread with one connection as
 * {@code database.user}, which needs INSERT (and SELECT for {@code --wait}) on
 * {@code pgbridge_republish_requests}.
 */
final class RepublishCommand {

  static final String USAGE = """
      Usage: pgbridge [--config FILE] republish (--session ID [ID...] | --project ID | --all)
                      [--wait [--timeout SECONDS]]

      Publishes sessions again, without the unchanged-version skip, to repair a consumer's
      cache or a lost or re-created topic; the database rows are not touched. The leading
      bridge instance (bridge.id) picks the request up within a second and walks the sessions
      in pages of catchup.page.size; a leader change resumes it. Safe to repeat.

        --session ID   this session (repeatable; several ids may follow one --session). A
                       session that has no row gets its tombstone.
        --project ID   every session of this project
        --all          every session
        --wait         follow the request until it is done
        --timeout S    with --wait: give up waiting after S seconds (default 600)

      Exit codes: 0 queued (done, with --wait); 2 bad usage; 3 database unusable or the role
      lacks INSERT on pgbridge_republish_requests; 4 --wait gave up before the request was done
      (it stays queued and is carried out when a leader runs).
      """;

  private static final Pattern UUID_TEXT = Pattern.compile(
      "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}");

  private RepublishCommand() {}

  /** What the command line asks for. */
  record Request(Scope scope, UUID project, List<UUID> sessions, boolean await,
      long timeoutSeconds) {}

  /** Parses the arguments; problems are added to {@code problems}. */
  static Request parse(List<String> args, List<String> problems) {
    List<UUID> sessions = new ArrayList<>();
    UUID project = null;
    boolean all = false;
    boolean await = false;
    long timeout = 600;
    int scopes = 0;
    boolean named = false;
    for (int i = 0; i < args.size(); i++) {
      String a = args.get(i);
      switch (a) {
        case "--session" -> {
          if (!named) {
            named = true;
            scopes++;
          }
          int given = 0;
          while (i + 1 < args.size() && !args.get(i + 1).startsWith("--")) {
            given++;
            UUID id = uuid(args.get(++i), "--session", problems);
            if (id != null) {
              sessions.add(id);
            }
          }
          if (given == 0) {
            problems.add("--session needs at least one session id");
          }
        }
        case "--project" -> {
          scopes++;
          if (i + 1 < args.size()) {
            project = uuid(args.get(++i), "--project", problems);
          } else {
            problems.add("--project needs a project id");
          }
        }
        case "--all" -> {
          scopes++;
          all = true;
        }
        case "--wait" -> await = true;
        case "--timeout" -> {
          if (i + 1 < args.size()) {
            try {
              timeout = Long.parseLong(args.get(++i));
              if (timeout < 1) {
                problems.add("--timeout must be at least 1 second");
              }
            } catch (NumberFormatException e) {
              problems.add("--timeout needs a number of seconds, got " + args.get(i));
            }
          } else {
            problems.add("--timeout needs a number of seconds");
          }
        }
        default -> problems.add("unexpected argument " + a);
      }
    }
    if (scopes != 1) {
      problems.add("give exactly one of --session ID..., --project ID or --all");
    }
    Scope scope = all ? Scope.ALL : project != null ? Scope.PROJECT : Scope.SESSIONS;
    return new Request(scope, project, List.copyOf(sessions), await, timeout);
  }

  private static UUID uuid(String text, String option, List<String> problems) {
    if (!UUID_TEXT.matcher(text).matches()) {
      problems.add(option + ": '" + text + "' is not a UUID");
      return null;
    }
    return UUID.fromString(text);
  }

  static int run(BridgeConfig config, List<String> args, PrintStream out, PrintStream err,
      Clock clock) throws InterruptedException {
    if (args.contains("--help") || args.contains("-h")) {
      out.print(USAGE);
      return ExitCodes.OK;
    }
    List<String> problems = new ArrayList<>();
    Request request = parse(args, problems);
    if (!problems.isEmpty()) {
      problems.forEach(p -> err.println("republish: " + p));
      err.print(USAGE);
      return ExitCodes.BAD_CONFIG;
    }
    RepublishStore store = new RepublishStore(config.schema(), config.sessionsTable(),
        config.bridgeId());
    ListenerConnector connector = new ListenerConnector(config.databaseUrl(),
        config.databaseUser(), config.databasePassword().value(), "pgbridge-republish");
    try (Connection c = connector.open()) {
      long id = store.insert(c, request.scope(), request.project(), request.sessions());
      RepublishRequest queued = store.find(c, id).orElseThrow();
      out.println("republish request " + id + " queued for bridge.id=" + config.bridgeId()
          + ": " + queued.describe());
      if (!request.await()) {
        return ExitCodes.OK;
      }
      return follow(store, c, id, request.timeoutSeconds(), out, err, clock);
    } catch (SQLException e) {
      err.println("republish: " + describe(e, config));
      return ExitCodes.UNAVAILABLE;
    }
  }

  private static int follow(RepublishStore store, Connection c, long id, long timeoutSeconds,
      PrintStream out, PrintStream err, Clock clock) throws SQLException, InterruptedException {
    long start = clock.millis();
    long deadline = start + timeoutSeconds * 1000;
    String last = "";
    while (true) {
      Optional<RepublishRequest> found = store.find(c, id);
      if (found.isEmpty()) {
        err.println("republish: request " + id + " disappeared from pgbridge_republish_requests");
        return ExitCodes.FAILURE;
      }
      RepublishRequest r = found.get();
      if (r.done()) {
        out.printf("request %d done: %d session(s) republished and acknowledged (%.1f s)%n", id,
            r.republished(), (clock.millis() - start) / 1000.0);
        return ExitCodes.OK;
      }
      String now = r.state().equals("pending") ? "pending: waiting for the leading instance"
          : "running on " + r.takenBy() + ": " + r.republished() + " session(s) acknowledged";
      if (!now.equals(last)) {
        out.println("request " + id + " " + now);
        last = now;
      }
      if (clock.millis() >= deadline) {
        err.println("republish: request " + id + " not done after " + timeoutSeconds + " s ("
            + r.state() + "); it stays queued and is carried out by the leading instance of"
            + " this bridge.id (is one running?)");
        return ExitCodes.NOT_FINISHED;
      }
      Thread.sleep(250);
    }
  }

  private static String describe(SQLException e, BridgeConfig config) {
    String table = Identifiers.qualified(config.schema(), "pgbridge_republish_requests");
    if ("42501".equals(e.getSQLState())) {
      return e.getMessage() + " [SQLSTATE 42501]: the database role '" + config.databaseUser()
          + "' may not request a republish; the table owner can allow it with GRANT INSERT,"
          + " SELECT ON " + table + " TO " + (config.databaseUser().isEmpty() ? "<role>"
          : '"' + config.databaseUser().replace("\"", "\"\"") + '"');
    }
    if ("42P01".equals(e.getSQLState())) {
      return e.getMessage() + " [SQLSTATE 42P01]: " + table + " does not exist: run `pgbridge"
          + " migrate --bridge-only`";
    }
    return SqlErrors.describe(e);
  }
}
