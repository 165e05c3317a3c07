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
 */
final class PromptBudget {
  /** The parts to send and whether the thinking was cut. */
  record Fitted(List<PromptPart> parts, boolean truncated, int tokens) {}

  private PromptBudget() {}

  static String marker(int omitted) {
    return "\n[... " + omitted + " characters of thinking omitted by guardtrace ...]\n";
  }

  static Fitted fit(Engine engine, String system, QtaTrace trace, boolean missingImageNotice, int budget) {
    List<PromptPart> parts = QtaPrompt.userParts(trace, missingImageNotice);
    int tokens = engine.countPromptTokens(system, parts);
    if (tokens <= budget) {
      return new Fitted(parts, false, tokens);
    }
    String thinking = QtaPrompt.sanitize(trace.thinking());
    int thinkingTokens = Math.max(1, engine.countTokens(thinking));
    double charsPerToken = (double) Math.max(1, thinking.length()) / thinkingTokens;
    // first estimate: remove the overflow plus room for the marker, at the thinking's own density
    int cut = (int) Math.min(thinking.length(), Math.ceil((tokens - budget + 32) * charsPerToken));
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
