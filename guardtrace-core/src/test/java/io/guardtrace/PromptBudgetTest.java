package io.guardtrace;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.guardtrace.spi.PromptPart;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Fitting traces into the token budget: unchanged for traces that fit, and bounded work for huge ones. */
class PromptBudgetTest {
  static final String SYSTEM = "audit";
  static final int BUDGET = 2000;

  /** A thinking of {@code chars} characters that changes along its length, so a misplaced cut shows. */
  static String thinking(int chars) {
    StringBuilder b = new StringBuilder(chars + 32);
    for (int i = 0; b.length() < chars; i++) {
      b.append("step ").append(i).append(": consider the case. ");
    }
    b.setLength(chars);
    return b.toString();
  }

  static String text(PromptBudget.Fitted f) {
    return ((PromptPart.Text) f.parts().get(f.parts().size() - 1)).text();
  }

  @Test
  void fit_traceThatFits_isSentUnchanged_andCountedOnce() {
    FakeEngine engine = new FakeEngine();
    engine.charsPerToken = 4;
    QtaTrace trace = QtaTrace.of("What is in the report?", thinking(7_000), "A summary.");
    PromptBudget.Fitted f = PromptBudget.fit(engine, SYSTEM, trace, false, BUDGET);
    assertThat(f.truncated()).isFalse();
    assertThat(f.parts()).isEqualTo(QtaPrompt.userParts(trace, false));
    assertThat(f.tokens()).isEqualTo(engine.countPromptTokens(SYSTEM, f.parts()) );
    assertThat(engine.tokenizeCalls.get()).isEqualTo(2); // the fit's one count, and the one just above
  }

  @Test
  void fit_truncatedTraceWithinTheBound_isCutExactlyAsBefore() {
    // 12 000 characters at 4 per token overflow the 2 000-token budget, but the engine only promises that a
    // token covers at most 8 characters: the text is not provably too long, so it is counted in full and cut
    // as guardtrace always cut it. The expected figures are those of the fitting before the bound was added.
    FakeEngine engine = new FakeEngine();
    engine.charsPerToken = 4;
    engine.declaredMaxTokenChars = 8;
    String thinking = thinking(12_000);
    QtaTrace trace = QtaTrace.of("What is in the report?", thinking, "A summary.");
    PromptBudget.Fitted f = PromptBudget.fit(engine, SYSTEM, trace, false, BUDGET);
    // the thinking's first and last 3 858 characters are kept around the marker for the 4 284 in between
    String expected = QtaPrompt.text("What is in the report?",
        thinking.substring(0, 3_858) + PromptBudget.marker(4_284) + thinking.substring(12_000 - 3_858), "A summary.");
    assertThat(f.truncated()).isTrue();
    assertThat(text(f)).isEqualTo(expected);
    assertThat(f.tokens()).isEqualTo(1_984);
    assertThat(engine.tokenizeCalls.get()).isEqualTo(3);
  }

  @Test
  void fit_20MbThinking_tokenizesOnlyWhatTheBudgetCanHold() {
    // ordinary text at 4 characters per token, from an engine whose longest token is 256 characters (as the
    // Qwen tokenizer's bound)
    FakeEngine engine = new FakeEngine();
    engine.charsPerToken = 4;
    engine.declaredMaxTokenChars = 256;
    int budget = GuardTrace.Builder.DEFAULT_TOKEN_BUDGET;
    String huge = thinking(20_000_000);
    QtaTrace trace = QtaTrace.of("What is in the report?", huge, "A summary.");
    PromptBudget.Fitted f = PromptBudget.fit(engine, SYSTEM, trace, false, budget);
    assertThat(f.truncated()).isTrue();
    assertThat(f.tokens()).isLessThanOrEqualTo(budget).isGreaterThan(budget - 100);
    String sent = text(f);
    String head = sent.substring(QtaPrompt.QUERY.length() + 22 + QtaPrompt.THINKING.length(), sent.indexOf("\n[... "));
    String tail = sent.substring(sent.indexOf("...]\n") + 5, sent.indexOf(QtaPrompt.RESPONSE));
    assertThat(huge).startsWith(head).endsWith(tail);
    assertThat(sent).contains("[... " + (huge.length() - head.length() - tail.length())
        + " characters of thinking omitted by guardtrace ...]");
    // the work is bounded by what the budget holds of this text, not by the trace: a few passes over
    // budget x 4 characters, where counting the whole trace once would be 20 million
    assertThat(engine.charsTokenized.get()).isLessThan(8L * budget * engine.charsPerToken);
    assertThat(engine.tokenizeCalls.get()).isLessThanOrEqualTo(6);
  }

  @Test
  void fit_hugeDenseThinking_growsItsSampleOnlyUpToTheBound() {
    // 64 characters per token (a long run of dashes, say): the first samples are too short to overflow the
    // budget, so the sample grows, up to budget x L / 2 characters per side, which overflows by the bound
    FakeEngine engine = new FakeEngine();
    engine.charsPerToken = 64;
    String huge = "-".repeat(20_000_000);
    PromptBudget.Fitted f = PromptBudget.fit(engine, SYSTEM, QtaTrace.of("q?", huge, "a."), false, BUDGET);
    assertThat(f.truncated()).isTrue();
    assertThat(f.tokens()).isLessThanOrEqualTo(BUDGET).isGreaterThan(BUDGET - 100);
    long bound = (long) BUDGET * engine.charsPerToken;
    assertThat(engine.charsTokenized.get()).isLessThan(6 * bound);
  }

  @Test
  void fit_hugeThinking_cutsAsCountingItAllWould_forAProportionalTokenizer() {
    // the same engine once without a bound on token length (everything is counted) and once with its true
    // bound: a tokenizer whose count is proportional to the text gets the same cut either way
    String huge = thinking(3_000_000);
    QtaTrace trace = QtaTrace.of("What is in the report?", huge, "A summary.");
    FakeEngine counted = new FakeEngine();
    counted.declaredMaxTokenChars = 0;
    FakeEngine bounded = new FakeEngine();
    PromptBudget.Fitted all = PromptBudget.fit(counted, SYSTEM, trace, false, BUDGET);
    PromptBudget.Fitted cheap = PromptBudget.fit(bounded, SYSTEM, trace, false, BUDGET);
    assertThat(text(cheap)).isEqualTo(text(all));
    assertThat(cheap.tokens()).isEqualTo(all.tokens());
    assertThat(counted.charsTokenized.get()).isGreaterThan(2L * huge.length());
    assertThat(bounded.charsTokenized.get()).isLessThan(8L * BUDGET);
  }

  @Test
  void fit_20MbQuestion_isRefusedBeforeAnythingIsTokenized() {
    FakeEngine engine = new FakeEngine();
    engine.charsPerToken = 4;
    QtaTrace trace = QtaTrace.of("q".repeat(20_000_000), "thinking", "answer");
    assertThatThrownBy(() -> PromptBudget.fit(engine, SYSTEM, trace, false, BUDGET))
        .isInstanceOf(PromptTooLongException.class)
        .satisfies(e -> assertThat(((PromptTooLongException) e).tokens()).isEqualTo((20_000_000 + 6 + 3) / 4))
        .hasMessageContaining("at least");
    assertThat(engine.tokenizeCalls.get()).isZero();
    QtaTrace hugeAnswer = QtaTrace.of("question", "thinking", "a".repeat(20_000_000));
    assertThatThrownBy(() -> PromptBudget.fit(engine, SYSTEM, hugeAnswer, false, BUDGET))
        .isInstanceOf(PromptTooLongException.class);
    assertThat(engine.charsTokenized.get()).isZero();
  }
}
