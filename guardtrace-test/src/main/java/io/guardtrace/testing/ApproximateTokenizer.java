package io.guardtrace.testing;

import io.guardtrace.spi.PromptPart;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Token counts close to the Qwen2.5 tokenizer's without its 7 MB vocabulary: every piece that Qwen2's
 * pre-tokenizer splits off (a word with its leading space, one digit, a run of punctuation, a run of spaces or
 * newlines) counts as one token. Common English words are single tokens in Qwen's vocabulary, so for English
 * prose this comes within a few percent; rare words, which byte-pair encoding splits further, are undercounted.
 * Prompts are counted as the chat template renders them, with the control tokens and image pads of the real
 * prompt.
 */
final class ApproximateTokenizer {
  /** The split pattern of Qwen2's {@code tokenizer.json} pre-tokenizer. */
  private static final Pattern PIECE = Pattern.compile("(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+"
      + "|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+");
  /** Vocabulary size below the special tokens: stand-in ids of generated pieces stay under it. */
  private static final int ORDINARY_TOKENS = 151_643;
  /** {@code <|im_end|>}, the end-of-sequence token GuardTrace-VL writes. */
  static final int END_OF_TURN = 151_645;

  private ApproximateTokenizer() {}

  /** The pieces {@code text} splits into, in order; their concatenation is {@code text}. */
  static List<String> pieces(String text) {
    List<String> out = new ArrayList<>();
    Matcher m = PIECE.matcher(text);
    while (m.find()) {
      out.add(m.group());
    }
    return out;
  }

  /** Tokens of {@code text} encoded as plain text. */
  static int count(String text) {
    int n = 0;
    Matcher m = PIECE.matcher(text);
    while (m.find()) {
      n++;
    }
    return n;
  }

  /** A stable stand-in id for a generated piece (the same piece always gets the same id). */
  static int id(String piece) {
    return Math.floorMod(piece.hashCode(), ORDINARY_TOKENS);
  }

  /**
   * Tokens of the rendered prompt {@code <|im_start|>system\n{system}<|im_end|>\n<|im_start|>user\n{parts}
   * <|im_end|>\n<|im_start|>assistant\n}, where image {@code i} renders as {@code <|vision_start|>}, its
   * {@code imageTokens} pads and {@code <|vision_end|>}.
   */
  static int countPrompt(String system, List<PromptPart> userParts, Iterator<Integer> imageTokens) {
    int controls = 0;
    int tokens = count("system\n" + system) + count("\n") + count("assistant\n");
    StringBuilder text = new StringBuilder("user\n");
    for (PromptPart p : userParts) {
      if (p instanceof PromptPart.Text t) {
        text.append(t.text());
      } else {
        tokens += count(text.toString()) + imageTokens.next();
        text.setLength(0);
        controls += 2;
      }
    }
    tokens += count(text.toString()) + count("\n");
    // <|im_start|> three times, <|im_end|> twice
    controls += 5;
    return tokens + controls;
  }
}
