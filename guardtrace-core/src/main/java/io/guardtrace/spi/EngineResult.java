package io.guardtrace.spi;

import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * What the engine produced for one request.
 *
 * @param text the decoded generated text, special tokens skipped
 * @param generatedTokenIds every generated id in order, the end-of-sequence token included if produced
 * @param promptTokens the number of prompt tokens (image tokens included)
 * @param finishReason why generation stopped
 * @param preprocessNanos image decoding and preprocessing time
 * @param visionNanos vision tower time
 * @param prefillNanos prompt prefill time
 * @param decodeNanos decode time (all steps after the first token)
 * @param judgmentProbabilities probabilities of the three judgment values read from the model's logits at the
 *     point where it wrote the judgment, or null when the output has no judgment
 */
public record EngineResult(
    String text,
    List<Integer> generatedTokenIds,
    int promptTokens,
    FinishReason finishReason,
    long preprocessNanos,
    long visionNanos,
    long prefillNanos,
    long decodeNanos,
    @Nullable JudgmentProbabilities judgmentProbabilities) {

  /**
   * Checks the fields and copies the token ids.
   *
   * @param text the decoded generated text, special tokens skipped
   * @param generatedTokenIds every generated id in order, the end-of-sequence token included if produced
   * @param promptTokens the number of prompt tokens (image tokens included)
   * @param finishReason why generation stopped
   * @param preprocessNanos image decoding and preprocessing time
   * @param visionNanos vision tower time
   * @param prefillNanos prompt prefill time
   * @param decodeNanos decode time (all steps after the first token)
   * @param judgmentProbabilities probabilities of the three judgment values read from the model's logits at the
   *     point where it wrote the judgment, or null when the output has no judgment
   */
  public EngineResult {
    Objects.requireNonNull(text, "text");
    generatedTokenIds = List.copyOf(generatedTokenIds);
    Objects.requireNonNull(finishReason, "finishReason");
  }

  /** Why generation stopped. */
  public enum FinishReason {
    /** The model produced an end-of-sequence token. */
    EOS,
    /** The token limit was reached. */
    LENGTH
  }
}
