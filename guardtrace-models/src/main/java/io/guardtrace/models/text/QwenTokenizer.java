package io.guardtrace.models.text;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.guardtrace.ModelLoadException;
import io.guardtrace.models.config.Json;
import io.guardtrace.models.config.Untrusted;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The model's byte-level BPE tokenizer ({@code tokenizer.json}, run by DJL's HuggingFace tokenizers) split
 * into two instances so that text from a trace can never become a control token:
 *
 * <ul>
 *   <li>{@code full}: the file as published, used only to decode generated ids;
 *   <li>{@code plain}: the same file with its added tokens removed, used to encode every piece of text that
 *       sits between control tokens. The reference tokenizer splits its input at added tokens and encodes each
 *       piece on its own, so encoding the pieces separately yields the same ids for ordinary text, while a
 *       trace containing {@code <|im_end|>} is encoded as the characters {@code <}, {@code |}, ... .
 * </ul>
 *
 * Added tokens that are <em>not</em> special (such as {@code <tool_call>}) are still matched inside text, as
 * the reference does; special ones never are. Thread-safe.
 */
public final class QwenTokenizer implements AutoCloseable {
  /** ChatML and vision control tokens the guard's prompt uses. */
  public static final String IM_START = "<|im_start|>";
  /** Ends a turn; GuardTrace-VL's end-of-sequence token. */
  public static final String IM_END = "<|im_end|>";
  /** Opens an image's tokens. */
  public static final String VISION_START = "<|vision_start|>";
  /** Closes an image's tokens. */
  public static final String VISION_END = "<|vision_end|>";
  /** One image token, expanded to the image's token count. */
  public static final String IMAGE_PAD = "<|image_pad|>";

  private static final Map<String, String> OPTIONS =
      Map.of("addSpecialTokens", "false", "truncation", "false", "padding", "false");

  private final HuggingFaceTokenizer full;
  private final HuggingFaceTokenizer plain;
  private final Map<String, Integer> addedIds;
  private final Map<String, Integer> nonSpecialAdded;
  private final int maxTokenId;
  private final int maxTokenChars;

  private QwenTokenizer(HuggingFaceTokenizer full, HuggingFaceTokenizer plain,
      Map<String, Integer> addedIds, Map<String, Integer> nonSpecialAdded, int maxTokenId, int maxTokenChars) {
    this.full = full;
    this.plain = plain;
    this.addedIds = addedIds;
    this.nonSpecialAdded = nonSpecialAdded;
    this.maxTokenId = maxTokenId;
    this.maxTokenChars = maxTokenChars;
  }

  /**
   * Loads {@code tokenizer.json} (read only if it is a regular file of at most {@link Json#MAX_FILE_BYTES}).
   *
   * @param tokenizerJson the file
   * @return the tokenizer
   * @throws ModelLoadException when the file is missing or not a valid tokenizer
   */
  public static QwenTokenizer load(Path tokenizerJson) {
    io.guardtrace.models.DjlDefaults.apply();
    if (!Files.exists(tokenizerJson)) {
      throw new ModelLoadException("model file tokenizer.json is missing from " + tokenizerJson.getParent());
    }
    byte[] bytes = Json.readBytes(tokenizerJson);
    JsonNode root = Json.parseObject(bytes, tokenizerJson);
    Map<String, Integer> added = new LinkedHashMap<>();
    Map<String, Integer> nonSpecial = new LinkedHashMap<>();
    int maxId = -1;
    for (JsonNode t : root.path("added_tokens")) {
      JsonNode id = t.path("id");
      if (!id.isIntegralNumber() || !id.canConvertToInt() || id.asInt() < 0) {
        throw new ModelLoadException(tokenizerJson + ": an added token's \"id\" is not a non-negative whole number");
      }
      added.put(t.path("content").asText(), id.asInt());
      if (!t.path("special").asBoolean(false)) {
        nonSpecial.put(t.path("content").asText(), id.asInt());
      }
      maxId = Math.max(maxId, id.asInt());
    }
    for (JsonNode id : root.path("model").path("vocab")) {
      maxId = Math.max(maxId, id.asInt());
    }
    HuggingFaceTokenizer full = null;
    try {
      ObjectNode stripped = root.deepCopy();
      stripped.putArray("added_tokens");
      byte[] plainBytes = Json.MAPPER.writeValueAsBytes(stripped);
      full = HuggingFaceTokenizer.newInstance(new ByteArrayInputStream(bytes), OPTIONS);
      HuggingFaceTokenizer plain = HuggingFaceTokenizer.newInstance(new ByteArrayInputStream(plainBytes), OPTIONS);
      return new QwenTokenizer(full, plain, Collections.unmodifiableMap(added),
          Collections.unmodifiableMap(nonSpecial), maxId, maxTokenChars(root, nonSpecial.keySet()));
    } catch (IOException | RuntimeException e) {
      if (full != null) {
        full.close();
      }
      throw new ModelLoadException("cannot load tokenizer " + tokenizerJson + ": "
          + Untrusted.quote(String.valueOf(e.getMessage())), e);
    }
  }

  /**
   * The largest token id of the tokenizer's vocabulary and added tokens: the model's embedding must have a
   * row for it.
   *
   * @return the largest id, or -1 for an empty tokenizer
   */
  public int maxTokenId() {
    return maxTokenId;
  }

  /**
   * A bound on the UTF-16 code units of text that one token of {@link #encodeText} covers (see
   * {@link io.guardtrace.spi.Engine#maxTokenChars()}), or 0 when this tokenizer's kind gives none.
   *
   * @return the bound, or 0
   */
  public int maxTokenChars() {
    return maxTokenChars;
  }

  /**
   * Twice the longest vocabulary entry or non-special added token, for a BPE model whose normalizer is none or
   * NFC; else 0. A byte-level BPE entry has one symbol per UTF-8 byte it stands for, and every code unit of
   * text takes at least one UTF-8 byte, so a token covers at most as many code units of the normalized text
   * as its entry is long (for a plain BPE entry, its characters are the text's). The factor 2 covers NFC,
   * which folds at most three code units (a letter and two combining marks) into one two-byte character.
   * Other normalizers can shrink text without such a bound.
   */
  private static int maxTokenChars(JsonNode root, java.util.Set<String> nonSpecialAdded) {
    JsonNode normalizer = root.path("normalizer");
    boolean nfcOrNone = normalizer.isMissingNode() || normalizer.isNull()
        || "NFC".equals(normalizer.path("type").asText());
    JsonNode vocab = root.path("model").path("vocab");
    if (!nfcOrNone || !"BPE".equals(root.path("model").path("type").asText()) || !vocab.isObject()
        || vocab.isEmpty()) {
      return 0;
    }
    int longest = 0;
    for (java.util.Iterator<String> names = vocab.fieldNames(); names.hasNext(); ) {
      longest = Math.max(longest, names.next().length());
    }
    for (String added : nonSpecialAdded) {
      longest = Math.max(longest, added.length());
    }
    return 2 * longest;
  }

  /**
   * The id of added token {@code content}.
   *
   * @param content the token's text
   * @return its id
   * @throws ModelLoadException when the tokenizer lacks it
   */
  public int addedTokenId(String content) {
    Integer id = addedIds.get(content);
    if (id == null) {
      throw new ModelLoadException("tokenizer.json has no added token " + content
          + "; this engine needs a Qwen2.5-VL tokenizer");
    }
    return id;
  }

  /**
   * The id of added token {@code content}, or null.
   *
   * @param content the token's text
   * @return its id, or null
   */
  public @Nullable Integer findAddedToken(String content) {
    return addedIds.get(content);
  }

  /**
   * Encodes text taken from a user or a trace: never yields a special token; non-special added tokens are
   * matched as the reference does.
   *
   * @param text plain text
   * @return its ids
   */
  public long[] encodeText(String text) {
    if (text.isEmpty()) {
      return new long[0];
    }
    if (nonSpecialAdded.isEmpty()) {
      return plain.encode(text, false, false).getIds();
    }
    List<long[]> parts = new ArrayList<>();
    int start = 0;
    int i = 0;
    while (i < text.length()) {
      String match = null;
      if (text.charAt(i) == '<') {
        for (String tok : nonSpecialAdded.keySet()) {
          if (text.startsWith(tok, i) && (match == null || tok.length() > match.length())) {
            match = tok;
          }
        }
      }
      if (match != null) {
        if (i > start) {
          parts.add(plain.encode(text.substring(start, i), false, false).getIds());
        }
        parts.add(new long[] {nonSpecialAdded.get(match)});
        i += match.length();
        start = i;
      } else {
        i++;
      }
    }
    if (start < text.length()) {
      parts.add(plain.encode(text.substring(start), false, false).getIds());
    }
    int n = parts.stream().mapToInt(p -> p.length).sum();
    long[] out = new long[n];
    int pos = 0;
    for (long[] p : parts) {
      System.arraycopy(p, 0, out, pos, p.length);
      pos += p.length;
    }
    return out;
  }

  /**
   * Decodes generated ids to text, skipping special tokens (as {@code skip_special_tokens=True}).
   *
   * @param ids generated ids
   * @return the text
   */
  public String decode(long[] ids) {
    return full.decode(ids, true);
  }

  /**
   * Decodes ids keeping special tokens.
   *
   * @param ids token ids
   * @return the text
   */
  public String decodeWithSpecials(long[] ids) {
    return full.decode(ids, false);
  }

  /**
   * Ids of every single-token string in {@code texts}, or -1 where a string is not exactly one token.
   *
   * @param texts strings to look up
   * @return each string's id, or -1
   */
  public Map<String, Integer> singleTokenIds(String... texts) {
    Map<String, Integer> out = new HashMap<>();
    for (String t : texts) {
      long[] ids = plain.encode(t, false, false).getIds();
      out.put(t, ids.length == 1 ? (int) ids[0] : -1);
    }
    return out;
  }

  @Override
  public void close() {
    full.close();
    plain.close();
  }
}
