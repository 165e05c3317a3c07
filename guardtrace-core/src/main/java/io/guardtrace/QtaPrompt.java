package io.guardtrace;

import io.guardtrace.spi.PromptPart;
import java.util.ArrayList;
import java.util.List;

/**
 * The guard's user turn, built as GuardTrace-VL's reference evaluation builds it: the trace's images first,
 * then one text part {@code Current Task Query: {q}\nCurrent Task Thinking: {t}\nCurrent Task Cleaned Response:
 * {a}}. A trace without images has no image part, as in the reference's test-set evaluation; with
 * {@code missingImageNotice} the text part {@value #MISSING_IMAGE} stands in the image's place, as in the
 * reference's published demo. A trace marked {@link QtaTrace#imageUnavailable()} gets that part after its
 * images whatever the option, as the reference evaluation does for an image it cannot load.
 *
 * <p>Text is passed through {@link #sanitize}: lone UTF-16 surrogates (which no tokenizer can encode) become
 * U+FFFD; every other character, control characters included, is kept, since hiding text from the guard is
 * what an attacker would want.
 */
public final class QtaPrompt {
  /** The reference demo's stand-in for a missing image. */
  public static final String MISSING_IMAGE = "Image missing or unavailable";

  static final String QUERY = "Current Task Query: ";
  static final String THINKING = "\nCurrent Task Thinking: ";
  static final String RESPONSE = "\nCurrent Task Cleaned Response: ";

  private QtaPrompt() {}

  /**
   * The user turn's parts for {@code trace}.
   *
   * @param trace the trace
   * @param missingImageNotice whether a trace without images gets the missing-image text part
   * @return the parts in order
   */
  public static List<PromptPart> userParts(QtaTrace trace, boolean missingImageNotice) {
    return userParts(trace, trace.thinking(), missingImageNotice);
  }

  /** The user turn with the thinking replaced by {@code thinking} (used when truncating). */
  static List<PromptPart> userParts(QtaTrace trace, String thinking, boolean missingImageNotice) {
    List<PromptPart> parts = new ArrayList<>();
    for (TraceImage image : trace.images()) {
      parts.add(PromptPart.image(image));
    }
    if (trace.imageUnavailable() || trace.images().isEmpty() && missingImageNotice) {
      parts.add(PromptPart.text(MISSING_IMAGE));
    }
    parts.add(PromptPart.text(text(trace.question(), thinking, trace.answer())));
    return parts;
  }

  /**
   * The trace as {@code parts} present it to the model: {@code trace} itself, or, when the budget cut its
   * thinking, a copy whose thinking is the cut text (marker included) read back from the QTA text part.
   */
  static QtaTrace traceAsSent(QtaTrace trace, List<PromptPart> parts, boolean truncated) {
    if (!truncated) {
      return trace;
    }
    String text = ((PromptPart.Text) parts.get(parts.size() - 1)).text();
    String head = QUERY + sanitize(trace.question()) + THINKING;
    String tail = RESPONSE + sanitize(trace.answer());
    if (!text.startsWith(head) || !text.endsWith(tail) || text.length() < head.length() + tail.length()) {
      throw new IllegalStateException("the last user part is not this trace's QTA text");
    }
    return trace.withThinking(text.substring(head.length(), text.length() - tail.length()));
  }

  /**
   * The QTA text part.
   *
   * @param question the question
   * @param thinking the thinking
   * @param answer the answer
   * @return the text, each field passed through {@link #sanitize}
   */
  public static String text(String question, String thinking, String answer) {
    return QUERY + sanitize(question) + THINKING + sanitize(thinking) + RESPONSE + sanitize(answer);
  }

  /**
   * Replaces lone surrogates with U+FFFD.
   *
   * @param s any text
   * @return {@code s} with every lone surrogate replaced
   */
  public static String sanitize(String s) {
    StringBuilder b = null;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      boolean lone;
      if (Character.isHighSurrogate(c)) {
        lone = i + 1 >= s.length() || !Character.isLowSurrogate(s.charAt(i + 1));
        if (!lone) {
          if (b != null) {
            b.append(c).append(s.charAt(i + 1));
          }
          i++;
          continue;
        }
      } else {
        lone = Character.isLowSurrogate(c);
      }
      if (lone && b == null) {
        b = new StringBuilder(s.length()).append(s, 0, i);
      }
      if (b != null) {
        b.append(lone ? '\uFFFD' : c);
      }
    }
    return b == null ? s : b.toString();
  }
}
