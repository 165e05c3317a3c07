package io.guardtrace.models.config;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * What {@code generation_config.json} decides for greedy decoding: the end-of-sequence ids and the repetition
 * penalty. GuardTrace's reference code decodes greedily (do_sample=False) but keeps the checkpoint's
 * repetition penalty, so we do the same; sampling settings are ignored.
 *
 * @param eosTokenIds generation stops at any of these
 * @param padTokenId the pad id, or -1
 * @param repetitionPenalty 1.0 for none
 */
public record GenerationSettings(List<Integer> eosTokenIds, int padTokenId, double repetitionPenalty) {

  /** Most end-of-sequence ids accepted (published configs list one to three). */
  static final int MAX_EOS_IDS = 1024;

  /** Largest repetition penalty accepted (published configs: 1.0 to about 1.2). */
  static final double MAX_REPETITION_PENALTY = 1000;

  /**
   * Settings as given.
   *
   * @param eosTokenIds generation stops at any of these
   * @param padTokenId the pad id, or -1
   * @param repetitionPenalty 1.0 for none
   */
  public GenerationSettings {
    eosTokenIds = List.copyOf(eosTokenIds);
  }

  /**
   * Reads {@code generation_config.json}; when the file is absent, falls back to {@code config.json}'s
   * eos_token_id (and its repetition_penalty if it has one, else none), as transformers does. Token ids must be rows of the embedding, the penalty
   * a positive number (it divides logits).
   *
   * @param file {@code generation_config.json}, or null when the model has none
   * @param configFile {@code config.json}
   * @param vocabSize the model's vocabulary size
   * @return the settings
   * @throws io.guardtrace.ModelLoadException naming the file and the field at fault
   */
  public static GenerationSettings load(@Nullable Path file, Path configFile, int vocabSize) {
    Path source = file != null ? file : configFile;
    ConfigFields f = ConfigFields.of(Json.read(source), source);
    List<Integer> eos = new ArrayList<>();
    JsonNode e = f.get("eos_token_id");
    if (e != null && e.isArray()) {
      JsonNode ids = f.arrayOr("eos_token_id", 0, MAX_EOS_IDS);
      ids.forEach(x -> eos.add(f.checkInt("eos_token_id", x, 0, vocabSize - 1)));
    } else if (e != null) {
      eos.add(f.checkInt("eos_token_id", e, 0, vocabSize - 1));
    }
    return new GenerationSettings(eos, f.intOr("pad_token_id", -1, -1, vocabSize - 1),
        f.doubleOr("repetition_penalty", 1.0, 0, MAX_REPETITION_PENALTY));
  }
}
