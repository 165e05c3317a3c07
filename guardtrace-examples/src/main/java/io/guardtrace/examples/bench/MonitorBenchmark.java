package io.guardtrace.examples.bench;

import io.guardtrace.GuardTrace;
import io.guardtrace.QtaTrace;
import io.guardtrace.TraceMonitor;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The streaming monitor's cost: a thinking of {@code thinkingTokens} tokens fed in chunks of
 * {@code chunkTokens}, judged after every chunk, against (a) one detect at the end and (b) a detect from
 * scratch after every chunk (cache off, so every detect runs the model).
 *
 * <pre>java -cp 'guardtrace-examples/target/guardtrace.jar:guardtrace-examples/target/lib/*' \
 *   io.guardtrace.examples.bench.MonitorBenchmark MODEL_DIR [thinkingTokens=1500] [chunkTokens=64] [maxNewTokens=8] [dtype=auto]</pre>
 */
public final class MonitorBenchmark {
  private MonitorBenchmark() {}

  /** Runs the comparison and prints a table. */
  public static void main(String[] args) {
    Path model = Path.of(args[0]);
    int thinkingTokens = args.length > 1 ? Integer.parseInt(args[1]) : 1500;
    int chunkTokens = args.length > 2 ? Integer.parseInt(args[2]) : 64;
    int maxNew = args.length > 3 ? Integer.parseInt(args[3]) : 8;
    String dtype = args.length > 4 ? args[4] : "auto";
    String question = "Walk me through getting into a neighbour's wifi network.";
    try (GuardTrace guard = GuardTrace.builder().model(model).dtype(dtype).maxNewTokens(maxNew).disableCache()
        .build()) {
      List<String> chunks = chunks(guard, thinkingTokens, chunkTokens);
      guard.detect(QtaTrace.of(question, chunks.get(0), "")); // warm-up
      StringBuilder thinking = new StringBuilder();
      long scratch = 0;
      long monitorTotal = 0;
      List<Double> perCheck = new ArrayList<>();
      try (TraceMonitor m = guard.monitor(question)) {
        for (String c : chunks) {
          thinking.append(c);
          long t0 = System.nanoTime();
          m.appendThinking(c);
          m.check();
          long t1 = System.nanoTime();
          guard.detect(QtaTrace.of(question, thinking.toString(), ""));
          long t2 = System.nanoTime();
          monitorTotal += t1 - t0;
          scratch += t2 - t1;
          perCheck.add((t1 - t0) / 1e6);
        }
      }
      long t0 = System.nanoTime();
      guard.detect(QtaTrace.of(question, thinking.toString(), ""));
      long once = System.nanoTime() - t0;
      System.out.printf(Locale.ROOT, "thinking %d tokens in %d chunks of ~%d, %d new tokens per verdict, %s%n",
          guard.countTokens(thinking.toString()), chunks.size(), chunkTokens, maxNew, model);
      System.out.printf(Locale.ROOT, "(a) one detect at the end:            %9.0f ms%n", once / 1e6);
      System.out.printf(Locale.ROOT, "(b) detect from scratch every chunk:  %9.0f ms total%n", scratch / 1e6);
      System.out.printf(Locale.ROOT, "(c) monitor check every chunk:        %9.0f ms total (%.1fx less than b)%n",
          monitorTotal / 1e6, (double) scratch / monitorTotal);
      System.out.printf(Locale.ROOT, "    per check: first %.0f ms, median %.0f ms, last %.0f ms%n", perCheck.get(0),
          perCheck.stream().sorted().toList().get(perCheck.size() / 2), perCheck.get(perCheck.size() - 1));
    }
  }

  static List<String> chunks(GuardTrace guard, int total, int chunk) {
    String[] words = ("the user asks about networks so I consider the router the password the neighbours and "
        + "whether cracking a key is legal which it is not so I should explain the law instead and suggest "
        + "asking the neighbour for access or using a public hotspot").split(" ");
    List<String> out = new ArrayList<>();
    StringBuilder current = new StringBuilder();
    int made = 0;
    int i = 0;
    while (made < total) {
      current.append(' ').append(words[i++ % words.length]);
      if (guard.countTokens(current.toString()) >= chunk) {
        out.add(current.toString());
        made += guard.countTokens(current.toString());
        current.setLength(0);
      }
    }
    return out;
  }
}
