package io.guardtrace.examples.bench;

import io.guardtrace.GuardTrace;
import io.guardtrace.QtaTrace;
import io.guardtrace.SafetyVerdict;
import io.guardtrace.spi.Engine;
import io.guardtrace.spi.EngineRequest;
import io.guardtrace.spi.EngineResult;
import io.guardtrace.spi.PromptPart;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * A verdict served from the cache: key building (hashing the trace's text and image digests) and the
 * Caffeine lookup, with the engine never reached after the first call.
 *
 * <pre>java -cp 'guardtrace-examples/target/guardtrace.jar:guardtrace-examples/target/lib/*' org.openjdk.jmh.Main CacheHit</pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
@Threads(2)
public class CacheHitBenchmark {
  private GuardTrace guard;
  private QtaTrace trace;

  @Setup
  public void setUp() {
    guard = GuardTrace.builder().engine(new ConstantEngine()).build();
    trace = QtaTrace.of("How do I reset my router?", "A routine question. ".repeat(50), "Hold reset for 10 s.");
    guard.detect(trace);
  }

  @TearDown
  public void tearDown() {
    guard.close();
  }

  @Benchmark
  public SafetyVerdict cachedDetect() {
    return guard.detect(trace);
  }

  /** Answers instantly; only reached on a miss. */
  static final class ConstantEngine implements Engine {
    @Override
    public String identity() {
      return "constant";
    }

    @Override
    public int contextLength() {
      return 1 << 20;
    }

    @Override
    public int countTokens(String text) {
      return text.length() / 4;
    }

    @Override
    public int countPromptTokens(String systemPrompt, List<PromptPart> userParts) {
      return 100;
    }

    @Override
    public EngineResult generate(EngineRequest request) {
      return new EngineResult("\"Analysis\": fine.\n\"Judgment\": 0", List.of(1, 2), 100,
          EngineResult.FinishReason.EOS, 0, 0, 0, 0, null);
    }

    @Override
    public void close() {}
  }
}
