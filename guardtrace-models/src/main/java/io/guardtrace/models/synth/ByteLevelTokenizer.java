package io.guardtrace.models.synth;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.guardtrace.models.config.Json;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Generates a small byte-level BPE {@code tokenizer.json} shaped like Qwen2's (NFC normaliser, the same
 * pre-tokenizer split with digits one per token, byte-level mapping, BPE model) with merges for common English
 * words and the Qwen2.5 special tokens, so synthetic checkpoints run the whole pipeline with no download. Its
 * ids mean nothing to a real model.
 *
 * <p>The special tokens follow the vocabulary directly, as in Qwen's own tokenizer: Hugging Face tokenizers
 * (and so transformers and llama.cpp's converter) give an added token that is not in the vocabulary the next
 * free id after it, whatever id {@code tokenizer.json} declares. To place the specials at Qwen's ids (151643 on)
 * the vocabulary is filled up to there with placeholder entries that no merge produces.
 */
public final class ByteLevelTokenizer {
  /** Qwen2.5-VL's added tokens, in their published order. */
  static final String[] SPECIALS = {"<|endoftext|>", "<|im_start|>", "<|im_end|>", "<|object_ref_start|>",
      "<|object_ref_end|>", "<|box_start|>", "<|box_end|>", "<|quad_start|>", "<|quad_end|>", "<|vision_start|>",
      "<|vision_end|>", "<|vision_pad|>", "<|image_pad|>", "<|video_pad|>"};

  /** The GPT-2 / Qwen2 pre-tokenizer pattern: contractions, letters, single digits, punctuation, spaces. */
  static final String SPLIT_PATTERN = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}"
      + "| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

  private static final String WORDS = "the of and to in is that it for as with was on be by this are or from at "
      + "an not have has but which can will would should could their they there what when how why who user model "
      + "answer question thinking response analysis judgment safe harmful potentially image shows step steps "
      + "reasoning request help cannot provide information because about into more some other than then only "
      + "also these those such make made use using used content task current cleaned query";

  private final Map<String, Integer> vocab;
  private final List<String> merges;
  private final Map<String, Integer> specials;

  private ByteLevelTokenizer(Map<String, Integer> vocab, List<String> merges, Map<String, Integer> specials) {
    this.vocab = vocab;
    this.merges = merges;
    this.specials = specials;
  }

  /**
   * Builds the tokenizer; special tokens get ids from {@code firstSpecialId} on (or right after the vocabulary
   * when it is negative), the vocabulary being padded up to it with placeholders.
   *
   * @param firstSpecialId the id of the first special token, or negative for right after the vocabulary
   * @return the tokenizer
   * @throws IllegalArgumentException when {@code firstSpecialId} is inside the generated vocabulary
   */
  public static ByteLevelTokenizer build(int firstSpecialId) {
    String[] byteToChar = bytesToUnicode();
    Map<String, Integer> vocab = new LinkedHashMap<>();
    for (int b = 0; b < 256; b++) {
      vocab.put(byteToChar[b], b);
    }
    List<String> merges = new ArrayList<>();
    for (String word : WORDS.split(" ")) {
      for (String form : new String[] {" " + word, word}) {
        byte[] bytes = form.getBytes(StandardCharsets.UTF_8);
        String current = byteToChar[bytes[0] & 0xff];
        for (int i = 1; i < bytes.length; i++) {
          String next = byteToChar[bytes[i] & 0xff];
          String merged = current + next;
          if (!vocab.containsKey(merged)) {
            merges.add(current + " " + next);
            vocab.put(merged, vocab.size());
          }
          current = merged;
        }
      }
    }
    if (firstSpecialId >= 0 && firstSpecialId < vocab.size()) {
      throw new IllegalArgumentException("special tokens at " + firstSpecialId + " would overlap the "
          + vocab.size() + " generated vocabulary entries");
    }
    while (vocab.size() < firstSpecialId) {
      // never produced by a merge (so text never encodes to them); they only occupy ids, as unused ids do
      vocab.put("<|placeholder_" + vocab.size() + "|>", vocab.size());
    }
    int id = vocab.size();
    Map<String, Integer> specials = new LinkedHashMap<>();
    for (String s : SPECIALS) {
      specials.put(s, id++);
    }
    return new ByteLevelTokenizer(vocab, merges, specials);
  }

  /**
   * The id of special token {@code content}.
   *
   * @param content a special token's text, for example {@code <|im_end|>}
   * @return its id
   */
  public int special(String content) {
    return specials.get(content);
  }

  /**
   * One past the largest id.
   *
   * @return one past the largest id
   */
  public int size() {
    return specials.values().stream().mapToInt(Integer::intValue).max().orElse(vocab.size()) + 1;
  }

  /**
   * The {@code tokenizer.json} document.
   *
   * @return the {@code tokenizer.json} document
   */
  public String json() {
    ObjectNode root = Json.MAPPER.createObjectNode();
    root.put("version", "1.0");
    root.putNull("truncation");
    root.putNull("padding");
    ArrayNode added = root.putArray("added_tokens");
    specials.forEach((content, id) -> added.addObject().put("id", id).put("content", content)
        .put("single_word", false).put("lstrip", false).put("rstrip", false).put("normalized", false)
        .put("special", true));
    root.putObject("normalizer").put("type", "NFC");
    ObjectNode pre = root.putObject("pre_tokenizer").put("type", "Sequence");
    ArrayNode pres = pre.putArray("pretokenizers");
    ObjectNode split = pres.addObject().put("type", "Split");
    split.putObject("pattern").put("Regex", SPLIT_PATTERN);
    split.put("behavior", "Isolated").put("invert", false);
    pres.addObject().put("type", "ByteLevel").put("add_prefix_space", false).put("trim_offsets", false)
        .put("use_regex", false);
    root.putObject("post_processor").put("type", "ByteLevel").put("add_prefix_space", false)
        .put("trim_offsets", false).put("use_regex", false);
    root.putObject("decoder").put("type", "ByteLevel").put("add_prefix_space", false).put("trim_offsets", false)
        .put("use_regex", false);
    ObjectNode model = root.putObject("model").put("type", "BPE");
    model.putNull("dropout");
    model.putNull("unk_token");
    model.put("continuing_subword_prefix", "").put("end_of_word_suffix", "").put("fuse_unk", false)
        .put("byte_fallback", false).put("ignore_merges", false);
    ObjectNode v = model.putObject("vocab");
    vocab.forEach(v::put);
    ArrayNode m = model.putArray("merges");
    merges.forEach(m::add);
    return root.toString();
  }

  /** GPT-2's reversible map from bytes to printable characters, used by every byte-level BPE. */
  static String[] bytesToUnicode() {
    String[] out = new String[256];
    int n = 0;
    for (int b = 0; b < 256; b++) {
      boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
      out[b] = new String(Character.toChars(printable ? b : 256 + n++));
    }
    return out;
  }
}
