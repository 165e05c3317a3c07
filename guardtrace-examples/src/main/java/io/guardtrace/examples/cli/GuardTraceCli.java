package io.guardtrace.examples.cli;

import io.guardtrace.models.DjlDefaults;
import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The {@code guardtrace} command: {@code detect}, {@code eval}, {@code inspect-image}, {@code synth-model},
 * {@code bench}. Exit codes: 0 success, 2 usage error, 3 bad input (trace or image), 4 model problem, 1 any
 * other failure. Errors are one sentence on stderr; {@code --verbose} adds the stack trace.
 */
@Command(name = "guardtrace", mixinStandardHelpOptions = true, version = "guardtrace 0.1.0",
    description = "Moderate the reasoning of multimodal models with GuardTrace-VL, on the JVM.",
    subcommands = {DetectCommand.class, EvalCommand.class, InspectImageCommand.class, SynthModelCommand.class,
        BenchCommand.class})
public final class GuardTraceCli {
  @Option(names = "--verbose", scope = CommandLine.ScopeType.INHERIT, description = "Print stack traces on errors.")
  boolean verbose;

  private GuardTraceCli() {}

  /** Runs the command line and exits with its code. */
  public static void main(String[] args) {
    System.exit(run(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
  }

  /** Runs the command line with the given streams and returns the exit code (for tests). */
  public static int run(String[] args, PrintWriter out, PrintWriter err) {
    quietDjlLogging(); // before anything logs: slf4j-simple reads its level once, at its first logger
    DjlDefaults.apply();
    GuardTraceCli root = new GuardTraceCli();
    CommandLine cl = new CommandLine(root);
    cl.setOut(out);
    cl.setErr(err);
    cl.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
      boolean verbose = root.verbose || parseResult.hasMatchedOption("--verbose");
      Throwable cause = e;
      // messages echo trace text and file names (an image path, a JSON parser's excerpt): one escaped line
      commandLine.getErr().println("guardtrace: " + TerminalText.line(message(cause)));
      if (verbose) {
        java.io.StringWriter trace = new java.io.StringWriter();
        cause.printStackTrace(new PrintWriter(trace));
        commandLine.getErr().print(TerminalText.lines(trace.toString()));
      }
      commandLine.getErr().flush();
      return ExitCodes.of(cause);
    });
    return cl.execute(args);
  }

  static String message(Throwable e) {
    String m = e.getMessage();
    return m == null || m.isBlank() ? e.getClass().getSimpleName() : m;
  }

  private static void quietDjlLogging() {
    if (System.getProperty("org.slf4j.simpleLogger.defaultLogLevel") == null) {
      // DJL logs its native library lookups at INFO: keep stderr for the command's own messages
      System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "error");
    }
  }
}
