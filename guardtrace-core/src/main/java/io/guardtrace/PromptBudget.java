package io.guardtrace;

import io.guardtrace.spi.Engine;
import io.guardtrace.spi.PromptPart;
import java.util.List;

/**
 * Fits a trace into the prompt token budget. The system prompt, the images, the question and the answer are
 * never cut: they define the case. When the prompt is too long, the <em>middle</em> of the thinking is
 * replaced by a visible marker, {@code [... N characters of thinking omitted by guardtrace ...]}, keeping its
 * beginning (the plan) and its end (where the reasoning lands), and the cut grows until the prompt fits. If
 * the prompt does not fit even with the whole thinking replaced by the marker, the trace is rejected with
 * {@link PromptTooLongException}.
 *
 * <p><b>Work proportional to the budget, not to the trace.</b> Tokenizing is the expensive part, so text that
 * provably cannot fit is never tokenized in full. The engine bounds how many characters one token covers
 * ({@link Engine#maxTokenChars()}, {@code L}): a text of {@code C} characters is at least {@code C / L}
 * tokens, so more than {@code budget * L} characters cannot fit. A question and answer that long together are
 * refused at once. A trace that long because of its thinking is cut in any case, and its token count and
 * density are estimated from a sample of the thinking's first and last characters (the rest taken at the
 * sample's density) instead of being counted over the whole text. The sample starts at {@code 4 * budget}
 * characters per side, enough for ordinary text to overflow the budget on its own, and grows until it does,
 * at most to {@code budget * L / 2 + 1} per side, which overflows by the bound. The cut is then searched as
 * for any other trace, tokenizing only candidates that keep less than the sample. For a tokenizer whose
 * count is proportional to the text this gives the very cut that counting all of it would give; for real
 * text the cut may differ by the error of the estimate, still within the budget. Traces within
 * {@code budget * L} characters, and every trace when the engine gives no bound, are counted in full, as they
 * always were, so a trace that fits is always sent whole.
 */
final class PromptBudget {
  /** The parts to send and whether the thinking was cut. */
  record Fitted(List<PromptPart> parts, boolean truncated, int tokens) {}

  private PromptBudget() {}

  static String marker(int omitted) {
    return "\n[... " + omitted + " characters of thinking omitted by guardtrace ...]\n";
  }

  static Fitted fit(Engine engine, String system, QtaTrace trace, boolean missingImageNotice, int budget) {
    int maxTokenChars = engine.maxTokenChars();
    // more characters than this cannot fit in the budget, whatever they are
    long limit = maxTokenChars > 0 ? (long) budget * maxTokenChars : Long.MAX_VALUE;
    long fixedChars = (long) trace.question().length() + trace.answer().length();
    if (fixedChars > limit) {
      long atLeast = (fixedChars + maxTokenChars - 1) / maxTokenChars;
      throw new PromptTooLongException((int) Math.min(Integer.MAX_VALUE, atLeast), budget, "the question and "
          + "answer alone are " + fixedChars + " characters, at least " + atLeast + " tokens (refused without "
          + "tokenizing them); shorten the question or answer, or raise tokenBudget");
    }
    String thinking = QtaPrompt.sanitize(trace.thinking());
    long keepEachSide = limit / 2 + 1;
    boolean estimated = fixedChars + thinking.length() > limit && thinking.length() > 2 * keepEachSide;
    int tokens;
    double charsPerToken;
    List<PromptPart> parts;
    int keep = 0;
    if (estimated) {
      // Measured from a sample of the thinking's two ends, grown until the prompt with it alone overflows
      // the budget: every cut tried below then keeps less than the sample and only the sample is tokenized.
      // It starts at what ordinary text (about 4 characters per token) needs to overflow, so it is usually
      // measured once; it never grows past budget * L / 2 + 1 per side, which overflows by the bound.
      keep = (int) Math.min(keepEachSide, 4L * budget);
      String ends;
      long withEnds;
      while (true) {
        // (sanitized again: the join may separate the halves of a surrogate pair)
        ends = QtaPrompt.sanitize(thinking.substring(0, keep) + thinking.substring(thinking.length() - keep));
        withEnds = engine.countPromptTokens(system, QtaPrompt.userParts(trace, ends, missingImageNotice));
        if (withEnds > budget || keep >= keepEachSide) {
          break;
        }
        keep = (int) Math.min(keepEachSide, 4L * keep);
      }
      int endsTokens = Math.max(1, engine.countTokens(ends));
      charsPerToken = (double) ends.length() / endsTokens;
      tokens = (int) Math.min(Integer.MAX_VALUE,
          withEnds + (long) Math.ceil((thinking.length() - ends.length()) / charsPerToken));
    } else {
      parts = QtaPrompt.userParts(trace, missingImageNotice);
      tokens = engine.countPromptTokens(system, parts);
      if (tokens <= budget) {
        return new Fitted(parts, false, tokens);
      }
      int thinkingTokens = Math.max(1, engine.countTokens(thinking));
      charsPerToken = (double) Math.max(1, thinking.length()) / thinkingTokens;
    }
    // first estimate: remove the overflow plus room for the marker, at the thinking's own density
    int cut = (int) Math.min(thinking.length(), Math.ceil((tokens - budget + 32) * charsPerToken));
    if (estimated) {
      cut = Math.max(cut, thinking.length() - 2 * keep);
    }
    for (int attempt = 0; attempt < 16; attempt++) {
      String shortened = cutMiddle(thinking, cut);
      parts = QtaPrompt.userParts(trace, shortened, missingImageNotice);
      tokens = engine.countPromptTokens(system, parts);
      if (tokens <= budget) {
        return new Fitted(parts, true, tokens);
      }
      if (cut >= thinking.length()) {
        break;
      }
      // still over: cut the remaining overflow, a little more each time so the loop ends quickly
      cut = (int) Math.min(thinking.length(),
          cut + Math.ceil((tokens - budget + 8) * charsPerToken * (1 + attempt * 0.25)));
    }
    throw new PromptTooLongException(tokens, budget, "the system prompt, images, question and answer alone "
        + "need " + tokens + " tokens (thinking already omitted); shorten the question or answer, use fewer or "
        + "smaller images, or raise tokenBudget");
  }

  /** {@code s} with {@code cut} characters removed from its middle and the marker in their place. */
  static String cutMiddle(String s, int cut) {
    if (cut <= 0) {
      return s;
    }
    if (cut >= s.length()) {
      return marker(s.length()).strip();
    }
    int keep = s.length() - cut;
    int head = keep / 2;
    int tailStart = s.length() - (keep - head);
    // never split a surrogate pair
    if (head > 0 && Character.isHighSurrogate(s.charAt(head - 1))) {
      head--;
    }
    if (tailStart < s.length() && Character.isLowSurrogate(s.charAt(tailStart))) {
      tailStart++;
    }
    return s.substring(0, head) + marker(tailStart - head) + s.substring(tailStart);
  }
}
