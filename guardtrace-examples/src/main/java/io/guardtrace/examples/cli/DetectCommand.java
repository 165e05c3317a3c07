package io.guardtrace.examples.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.guardtrace.GuardTrace;
import io.guardtrace.QtaTrace;
import io.guardtrace.SafetyVerdict;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code guardtrace detect}: moderates trace files. */
@Command(name = "detect", mixinStandardHelpOptions = true,
    description = "Moderate Question-Thinking-Answer traces given as JSON files: "
        + "{\"question\": ..., \"thinking\": ..., \"answer\": ..., \"images\": [paths relative to the file]}.")
final class DetectCommand implements Callable<Integer> {
  @Spec
  CommandSpec spec;

  @Mixin
  ModelOptions model = new ModelOptions();

  @Option(names = "--format", description = "text or json (one object per line). Default: ${DEFAULT-VALUE}.",
      defaultValue = "text")
  String format;

  @Parameters(paramLabel = "TRACE.json", arity = "1..*", description = "Trace files.")
  List<Path> traces = new ArrayList<>();

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    if (!format.equals("text") && !format.equals("json")) {
      throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--format must be text or json");
    }
    List<QtaTrace> parsed = new ArrayList<>();
    for (Path p : traces) {
      parsed.add(TraceFile.read(p));
    }
    Path demoDir = model.isDemo() ? DemoModel.directory(err) : null;
    try (GuardTrace guard = model.builder(demoDir, err).build()) {
      for (int i = 0; i < parsed.size(); i++) {
        SafetyVerdict v = guard.detect(parsed.get(i));
        if (format.equals("json")) {
          ObjectNode o = VerdictJson.of(v);
          o.put("file", traces.get(i).toString());
          out.println(VerdictJson.write(o));
        } else {
          printText(out, traces.get(i), v);
        }
        out.flush();
      }
    }
    return ExitCodes.OK;
  }

  /**
   * The verdict for a person to read. The file name and the model's analysis are printed through
   * {@link TerminalText}: control sequences in them cannot rewrite these lines.
   */
  static void printText(PrintWriter out, Path file, SafetyVerdict v) {
    out.printf(Locale.ROOT, "%s: %s (judgment %s)%s%n", TerminalText.line(file.toString()), v.level(),
        score(v.score()),
        v.parsed() ? "" : " [no judgment in the output: failed closed]");
    if (v.probabilities() != null) {
      out.printf(Locale.ROOT, "  probabilities: safe %.3f, potentially harmful %.3f, harmful %.3f%n",
          v.probabilities().safe(), v.probabilities().potentiallyHarmful(), v.probabilities().harmful());
    }
    if (!v.analysis().isEmpty()) {
      String a = v.analysis().length() > 400 ? v.analysis().substring(0, 400) + " [...]" : v.analysis();
      out.println("  analysis: " + TerminalText.lines(a).replace("\n", "\n            "));
    }
    out.printf(Locale.ROOT, "  %d prompt tokens, %d generated, %.0f ms%s%n", v.promptTokens(),
        v.generatedTokens(), v.timings().total().toNanos() / 1e6, v.truncated() ? ", thinking truncated" : "");
  }

  static String score(double s) {
    return s == 0.5 ? "0.5" : String.valueOf((int) s);
  }
}
