package io.guardtrace.models.config;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

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

  /**
   * Copies the end-of-sequence ids.
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
   * eos_token_id and no penalty, as transformers does.
   *
   * @param file the {@code generation_config.json} to read
   * @param configFile the model's {@code config.json}, the fallback
   * @return the settings
   */
  public static GenerationSettings load(Path file, Path configFile) {
    JsonNode node = Files.exists(file) ? Json.read(file) : Json.read(configFile);
    List<Integer> eos = new ArrayList<>();
    JsonNode e = node.get("eos_token_id");
    if (e != null && e.isArray()) {
      e.forEach(x -> eos.add(x.asInt()));
    } else if (e != null && e.canConvertToInt()) {
      eos.add(e.asInt());
    }
    return new GenerationSettings(eos, Json.intOr(node, "pad_token_id", -1),
        Json.doubleOr(node, "repetition_penalty", 1.0));
  }
}
