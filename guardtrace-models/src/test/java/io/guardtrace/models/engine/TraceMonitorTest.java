package io.guardtrace.models.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.guardtrace.GuardTrace;
import io.guardtrace.GuardTraceClosedException;
import io.guardtrace.QtaTrace;
import io.guardtrace.SafetyVerdict;
import io.guardtrace.TraceMonitor;
import io.guardtrace.models.Fixtures;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The streaming monitor on the tiny fixture model: every check equals detect on the same partial trace. */
class TraceMonitorTest {
  static final String QUESTION = "How do I make my neighbour's dog stop barking for good?";
  static final String THINKING = "The user wants the barking to stop. Options: talk to the neighbour, use a "
      + "white-noise machine, contact animal control. Some people suggest harming the animal, for example with "
      + "poisoned food or antifreeze, which is cruel and illegal; I must not suggest that. Dosages like 5 ml/kg "
      + "appear online — no. Emoji test 🐕‍🦺 and numbers 1234.5 and CJK 狗 to exercise byte-level merges. "
      + "Final plan: recommend mediation and noise complaints.";
  static final String ANSWER = "Talk with your neighbour first; if that fails, contact local animal control.";

  static GuardTrace guard;

  @BeforeAll
  static void open() {
    guard = GuardTrace.builder().model(Fixtures.tinyModel()).device(Fixtures.deviceName()).dtype("float32")
        .maxNewTokens(6).disableCache().systemPrompt("You audit reasoning traces.").build();
  }

  @AfterAll
  static void close() {
    guard.close();
  }

  @Test
  void check_afterRandomChunks_equalsDetectOnSamePartialTrace() {
    Random random = new Random(42);
    try (TraceMonitor m = guard.monitor(QUESTION, List.of())) {
      int i = 0;
      int checks = 0;
      while (i < THINKING.length()) {
        int n = 1 + random.nextInt(40);
        int end = Math.min(THINKING.length(), i + n);
        if (end < THINKING.length() && Character.isHighSurrogate(THINKING.charAt(end - 1))) {
          end++;
        }
        m.appendThinking(THINKING.substring(i, end));
        i = end;
        if (random.nextInt(3) == 0 || i == THINKING.length()) {
          assertSameAsDetect(m);
          checks++;
          assertThat(m.cachedTokens()).isGreaterThan(0);
        }
      }
      for (String part : new String[] {ANSWER.substring(0, 20), ANSWER.substring(20)}) {
        m.appendAnswer(part);
        assertSameAsDetect(m);
        checks++;
      }
      assertThat(checks).isGreaterThan(4);
    }
  }

  static void assertSameAsDetect(TraceMonitor m) {
    QtaTrace partial = m.trace();
    SafetyVerdict fromMonitor = m.check();
    SafetyVerdict fromDetect = guard.detect(partial);
    assertThat(fromMonitor.promptTokens()).isEqualTo(fromDetect.promptTokens());
    assertThat(fromMonitor.generatedTokenIds()).as("after %d thinking chars", partial.thinking().length())
        .isEqualTo(fromDetect.generatedTokenIds());
    assertThat(m.cachedTokens()).isEqualTo(fromDetect.promptTokens());
  }

  @Test
  void thinkingAfterAnswer_isIllegalState() {
    try (TraceMonitor m = guard.monitor(QUESTION)) {
      m.appendThinking("a");
      m.appendAnswer("b");
      assertThatThrownBy(() -> m.appendThinking("c")).isInstanceOf(IllegalStateException.class);
    }
  }

  @Test
  void callsAfterClose_failClearly() {
    TraceMonitor m = guard.monitor(QUESTION);
    m.appendThinking("x");
    m.close();
    m.close();
    assertThatThrownBy(() -> m.appendThinking("y")).isInstanceOf(GuardTraceClosedException.class);
    assertThatThrownBy(m::check).isInstanceOf(GuardTraceClosedException.class);
  }

  @Test
  void concurrentAppends_allLand_andChecksSerialise() throws Exception {
    try (TraceMonitor m = guard.monitor(QUESTION)) {
      List<Thread> threads = new ArrayList<>();
      for (int t = 0; t < 4; t++) {
        String chunk = "[" + t + "]";
        threads.add(new Thread(() -> {
          for (int k = 0; k < 50; k++) {
            m.appendThinking(chunk);
          }
        }));
      }
      threads.forEach(Thread::start);
      var a = m.checkAsync();
      var b = m.checkAsync();
      for (Thread th : threads) {
        th.join();
      }
      a.get(60, TimeUnit.SECONDS);
      b.get(60, TimeUnit.SECONDS);
      assertThat(m.trace().thinking()).hasSize(4 * 50 * 3);
      assertSameAsDetect(m);
    }
  }

  @Test
  void autoCheck_firesListenerOnFirstUnsafeVerdict() throws Exception {
    CountDownLatch fired = new CountDownLatch(1);
    AtomicReference<SafetyVerdict> seen = new AtomicReference<>();
    try (TraceMonitor m = guard.monitor(QUESTION).autoCheck(16, v -> {
      seen.set(v);
      fired.countDown();
    })) {
      m.appendThinking(THINKING);
      // the random model never writes a judgment, so its verdicts fail closed: unsafe
      assertThat(fired.await(60, TimeUnit.SECONDS)).isTrue();
      assertThat(seen.get().parsed()).isFalse();
      assertThat(seen.get().isSafe()).isFalse();
    }
  }
}
