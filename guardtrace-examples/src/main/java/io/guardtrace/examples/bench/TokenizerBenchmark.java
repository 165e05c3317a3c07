package io.guardtrace.examples.bench;

import io.guardtrace.QtaPrompt;
import io.guardtrace.models.text.ChatPrompt;
import io.guardtrace.models.text.QwenTokenizer;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Tokenizing a guard prompt (chat template rendered as segments, trace text encoded as plain text).
 *
 * <pre>java -cp 'guardtrace-examples/target/guardtrace.jar:guardtrace-examples/target/lib/*' \
 *   -Dguardtrace.tokenizer=testdata/qwen2_5_vl/tiny-qwen2_5_vl/tokenizer.json org.openjdk.jmh.Main Tokenizer</pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class TokenizerBenchmark {
  @Param({"1000", "10000"})
  public int thinkingChars;

  private QwenTokenizer tokenizer;
  private ChatPrompt prompt;

  @Setup(Level.Trial)
  public void setUp() {
    tokenizer = QwenTokenizer.load(Path.of(System.getProperty("guardtrace.tokenizer",
        "testdata/qwen2_5_vl/tiny-qwen2_5_vl/tokenizer.json")));
    StringBuilder thinking = new StringBuilder();
    while (thinking.length() < thinkingChars) {
      thinking.append("The user asks about step ").append(thinking.length() % 97).append("; I consider it. ");
    }
    prompt = ChatPrompt.render("You audit reasoning traces.", List.of(new ChatPrompt.TextPart(
        QtaPrompt.text("How do I do this?", thinking.toString(), "Here is a safe answer."))));
  }

  @TearDown
  public void tearDown() {
    tokenizer.close();
  }

  @Benchmark
  public long[] encodePrompt() {
    return prompt.encode(tokenizer);
  }
}
