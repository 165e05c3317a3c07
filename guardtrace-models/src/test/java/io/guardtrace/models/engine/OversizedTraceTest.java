package io.guardtrace.models.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.guardtrace.GuardTrace;
import io.guardtrace.PromptTooLongException;
import io.guardtrace.QtaTrace;
import io.guardtrace.SafetyVerdict;
import io.guardtrace.models.Fixtures;
import io.guardtrace.models.text.QwenTokenizer;
import org.junit.jupiter.api.Test;

/**
 * The Qwen tokenizer's bound on characters per token, which lets the guard refuse or cut an oversized trace
 * without tokenizing all of it.
 */
class OversizedTraceTest {

  @Test
  void maxTokenChars_boundsTheTokenCountOfAdversarialText() {
    try (QwenTokenizer tok = QwenTokenizer.load(Fixtures.tinyModel().resolve("tokenizer.json"))) {
      int bound = tok.maxTokenChars();
      // the vocabulary's longest entry is a run of 128 spaces; doubled for NFC's folding of combining marks
      assertThat(bound).isEqualTo(256);
      String[] texts = {" ".repeat(50_000), "-".repeat(50_000), "/".repeat(20_000) + "-".repeat(20_000),
          "\n".repeat(30_000), "\u03b9\u0308\u0301".repeat(20_000), "u\u0308\u0304".repeat(20_000),
          "<tool_call>".repeat(5_000), "\uD83D\uDE00".repeat(10_000), "ab ".repeat(30_000)};
      for (String s : texts) {
        assertThat((long) tok.encodeText(s).length * bound).as(s.substring(0, 6))
            .isGreaterThanOrEqualTo(s.length());
      }
    }
  }

  @Test
  void hugeFields_areRefusedOrCutWithoutTokenizingThemWhole() {
    try (GuardTrace guard = GuardTrace.builder().model(Fixtures.tinyModel()).device(Fixtures.deviceName())
        .dtype("float32").maxNewTokens(2).tokenBudget(1024).disableCache().build()) {
      assertThat(guard.modelIdentity()).isNotEmpty();
      String huge = "Let us think about this step by step. ".repeat(520_000); // ~20 MB
      assertThatThrownBy(() -> guard.detect(QtaTrace.of(huge, "t", "a")))
          .isInstanceOf(PromptTooLongException.class).hasMessageContaining("refused without tokenizing");
      SafetyVerdict v = guard.detect(QtaTrace.of("What now?", huge, "Nothing."));
      assertThat(v.truncated()).isTrue();
      assertThat(v.promptTokens()).isLessThanOrEqualTo(1024).isGreaterThan(900);
    }
  }
}
