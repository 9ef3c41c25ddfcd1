package io.pgbridge.cli;

import io.pgbridge.config.BridgeConfig;
import io.pgbridge.config.ConfigLoader;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * One {@code pgbridge} subcommand: its name, the line it gets in {@code pgbridge --help}, its
 * own help text ({@code pgbridge NAME --help}) and what it runs. {@link Main#COMMANDS} lists
 * them; a new command is one more entry there. Values only; called from the CLI thread.
 *
 * @param name what the user types
 * @param summary one line for the command list
 * @param help the full text of {@code pgbridge NAME --help}, starting with its usage line
 * @param ownHelp true when the command parses {@code --help} itself (demo, bench), so the
 *     flag is passed on instead of answered here
 * @param handler what runs
 */
public record Command(String name, String summary, String help, boolean ownHelp,
    Handler handler) {

  /** Runs a command; returns its exit code ({@link ExitCodes}). */
  @FunctionalInterface
  public interface Handler {
    int run(Invocation invocation) throws InterruptedException;
  }

  /** A command with the help answered by the CLI. */
  public static Command of(String name, String summary, String help, Handler handler) {
    return new Command(name, summary, help, false, handler);
  }

  /**
   * What a command is called with: its own arguments (global options removed), the
   * configuration file named by {@code --config} or {@code $PGBRIDGE_CONFIG} (may be null),
   * the environment and the output streams.
   */
  public record Invocation(List<String> args, Path configFile, Map<String, String> env,
      PrintStream out, PrintStream err) {

    /** Loads and validates the configuration; throws {@code ConfigProblems} listing all. */
    public BridgeConfig config() {
      return ConfigLoader.load(configFile, env);
    }

    /**
     * For commands that take no arguments: true when there are none, else reports the first
     * and returns false (the caller exits {@link ExitCodes#BAD_CONFIG}).
     */
    public boolean noArguments(String command) {
      if (args.isEmpty()) {
        return true;
      }
      err.println(command + ": unexpected argument " + args.get(0)
          + " (pgbridge " + command + " --help)");
      return false;
    }
  }
}
