package io.guardtrace.models.text;

import java.util.ArrayList;
import java.util.List;

/**
 * The guard's conversation rendered with the Qwen2-VL / Qwen2.5-VL chat template ({@code chat_template} in
 * {@code tokenizer_config.json}) for one system message and one user turn, with the generation prompt:
 *
 * <pre>
 * &lt;|im_start|&gt;system\n{system}&lt;|im_end|&gt;\n&lt;|im_start|&gt;user\n{parts}&lt;|im_end|&gt;\n&lt;|im_start|&gt;assistant\n
 * </pre>
 *
 * where an image part renders as {@code <|vision_start|><|image_pad|><|vision_end|>} (the processor then
 * expands the pad to the image's token count) and a text part as its text, with no separator. Built as a
 * list of segments (control tokens, text, image pads) so that text is encoded on its own and can never form
 * a control token.
 */
public final class ChatPrompt {
  /** One piece of the rendered prompt. */
  public sealed interface Segment permits Control, Text, ImagePads {}

  /** A control token, by its content. */
  public record Control(String token) implements Segment {}

  /** Plain text (encoded with {@link QwenTokenizer#encodeText}). */
  public record Text(String text) implements Segment {}

  /** The pad tokens of image {@code index}: {@code count} copies of {@code <|image_pad|>}. */
  public record ImagePads(int index, int count) implements Segment {}

  /** A user-turn part: text, or the image with this index and token count. */
  public sealed interface Part permits TextPart, ImagePart {}

  /** A text part. */
  public record TextPart(String text) implements Part {}

  /** An image part with its token count (grid_t * grid_h * grid_w / merge^2). */
  public record ImagePart(int tokens) implements Part {}

  private final List<Segment> segments;

  private ChatPrompt(List<Segment> segments) {
    this.segments = List.copyOf(segments);
  }

  /**
   * Renders {@code [system, user(parts)]} plus the generation prompt.
   *
   * @param system the system message
   * @param userParts the user turn's parts in order
   * @return the prompt
   */
  public static ChatPrompt render(String system, List<Part> userParts) {
    List<Segment> s = new ArrayList<>();
    s.add(new Control(QwenTokenizer.IM_START));
    s.add(new Text("system\n" + system));
    s.add(new Control(QwenTokenizer.IM_END));
    s.add(new Text("\n"));
    s.add(new Control(QwenTokenizer.IM_START));
    StringBuilder text = new StringBuilder("user\n");
    int image = 0;
    for (Part p : userParts) {
      if (p instanceof TextPart t) {
        text.append(t.text());
      } else if (p instanceof ImagePart img) {
        s.add(new Text(text.toString()));
        text.setLength(0);
        s.add(new Control(QwenTokenizer.VISION_START));
        s.add(new ImagePads(image++, img.tokens()));
        s.add(new Control(QwenTokenizer.VISION_END));
      }
    }
    s.add(new Text(text.toString()));
    s.add(new Control(QwenTokenizer.IM_END));
    s.add(new Text("\n"));
    s.add(new Control(QwenTokenizer.IM_START));
    s.add(new Text("assistant\n"));
    return new ChatPrompt(s);
  }

  /**
   * The segments in order.
   *
   * @return the segments in order
   */
  public List<Segment> segments() {
    return segments;
  }

  /**
   * The prompt string as the reference's {@code apply_chat_template} returns it (one pad per image).
   *
   * @return the prompt text
   */
  public String text() {
    StringBuilder b = new StringBuilder();
    for (Segment s : segments) {
      if (s instanceof Control c) {
        b.append(c.token());
      } else if (s instanceof Text t) {
        b.append(t.text());
      } else {
        b.append(QwenTokenizer.IMAGE_PAD);
      }
    }
    return b.toString();
  }

  /**
   * The ids of the fixed prefix every request with this system prompt shares: the system turn and the
   * {@code <|im_start|>} that opens the user turn. It ends on a control token, so its ids are the same
   * whatever the user turn holds.
   *
   * @param tokenizer the model's tokenizer
   * @return the prefix's ids
   */
  public long[] encodeSystemPrefix(QwenTokenizer tokenizer) {
    return new ChatPrompt(segments.subList(0, 5)).encode(tokenizer);
  }

  /**
   * The input ids: text encoded piece by piece, control tokens by id, image pads expanded.
   *
   * @param tokenizer the model's tokenizer
   * @return the ids
   */
  public long[] encode(QwenTokenizer tokenizer) {
    List<long[]> pieces = new ArrayList<>();
    int imagePad = tokenizer.addedTokenId(QwenTokenizer.IMAGE_PAD);
    for (Segment s : segments) {
      if (s instanceof Control c) {
        pieces.add(new long[] {tokenizer.addedTokenId(c.token())});
      } else if (s instanceof Text t) {
        pieces.add(tokenizer.encodeText(t.text()));
      } else if (s instanceof ImagePads p) {
        long[] pads = new long[p.count()];
        java.util.Arrays.fill(pads, imagePad);
        pieces.add(pads);
      }
    }
    int n = pieces.stream().mapToInt(a -> a.length).sum();
    long[] ids = new long[n];
    int pos = 0;
    for (long[] a : pieces) {
      System.arraycopy(a, 0, ids, pos, a.length);
      pos += a.length;
    }
    return ids;
  }
}
