package io.guardtrace;

import static org.assertj.core.api.Assertions.assertThat;

import io.guardtrace.spi.EngineRequest;
import io.guardtrace.spi.PromptPart;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Every request the guard sends carries the trace it judges, as the model sees it. */
class JudgedTraceTest {
  @Test
  void request_carriesTheTrace() {
    FakeEngine engine = new FakeEngine();
    QtaTrace trace = QtaTrace.of("q", "t", "a");
    try (GuardTrace guard = GuardTrace.builder().engine(engine).build()) {
      guard.detect(trace);
    }
    assertThat(engine.requests.get(0).trace()).isSameAs(trace);
  }

  @Test
  void request_overTheBudget_carriesTheCutThinking() {
    FakeEngine engine = new FakeEngine();
    QtaTrace trace = QtaTrace.of("q", "x".repeat(5_000) + "MIDDLE" + "y".repeat(5_000), "a");
    try (GuardTrace guard = GuardTrace.builder().engine(engine).systemPrompt("s").tokenBudget(2_000).build()) {
      assertThat(guard.detect(trace).truncated()).isTrue();
    }
    EngineRequest r = engine.requests.get(0);
    QtaTrace sent = r.trace();
    assertThat(sent.question()).isEqualTo("q");
    assertThat(sent.answer()).isEqualTo("a");
    assertThat(sent.thinking()).startsWith("xxx").endsWith("yyy").doesNotContain("MIDDLE")
        .contains("characters of thinking omitted by guardtrace");
    // exactly the thinking of the text part the model receives
    assertThat(r.userParts()).last().isEqualTo(PromptPart.text(QtaPrompt.text("q", sent.thinking(), "a")));
  }

  @Test
  void requestOf_carriesNoTrace() {
    assertThat(EngineRequest.of("s", List.of(PromptPart.text("q")), 1).trace()).isNull();
  }
}
