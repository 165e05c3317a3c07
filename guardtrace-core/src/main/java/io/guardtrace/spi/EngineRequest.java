package io.guardtrace.spi;

import io.guardtrace.QtaTrace;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * One generation request: a system prompt and the ordered parts of a single user turn, as the reference
 * evaluation builds the conversation ({@code [system, user(parts...)]} followed by the generation prompt).
 *
 * @param systemPrompt the system message text
 * @param userParts the user turn's parts in order (images first, then text, for a QTA trace)
 * @param maxNewTokens the maximum number of tokens to generate, at least 1
 * @param ignoreEos when true generation runs for exactly {@code maxNewTokens} (benchmarks only)
 * @param listener receives each generated token as it is produced
 * @param cancellation polled once per decode step; when it reports cancelled, generation stops with
 *     {@link io.guardtrace.GuardTraceCancelledException}
 * @param trace the trace this request judges, as the model sees it (after the token budget cut the middle of
 *     its thinking, if it did), or null for a request not made from a trace. Engines generate from
 *     {@code systemPrompt} and {@code userParts} alone; this is for engines that answer by the trace's
 *     content, such as the scripted engine of {@code guardtrace-test}.
 */
public record EngineRequest(
    String systemPrompt,
    List<PromptPart> userParts,
    int maxNewTokens,
    boolean ignoreEos,
    TokenListener listener,
    Cancellation cancellation,
    @Nullable QtaTrace trace) {

  /**
   * Checks the fields and copies the parts.
   *
   * @param systemPrompt the system message text
   * @param userParts the user turn's parts in order (images first, then text, for a QTA trace)
   * @param maxNewTokens the maximum number of tokens to generate, at least 1
   * @param ignoreEos when true generation runs for exactly {@code maxNewTokens} (benchmarks only)
   * @param listener receives each generated token as it is produced
   * @param cancellation polled once per decode step; when it reports cancelled, generation stops with
   *     {@link io.guardtrace.GuardTraceCancelledException}
   * @param trace the trace this request judges, as the model sees it (after the token budget cut the middle of
   *     its thinking, if it did), or null for a request not made from a trace. Engines generate from
   *     {@code systemPrompt} and {@code userParts} alone; this is for engines that answer by the trace's
   *     content, such as the scripted engine of {@code guardtrace-test}.
   */
  public EngineRequest {
    Objects.requireNonNull(systemPrompt, "systemPrompt");
    userParts = List.copyOf(userParts);
    Objects.requireNonNull(listener, "listener");
    Objects.requireNonNull(cancellation, "cancellation");
    if (maxNewTokens < 1) {
      throw new IllegalArgumentException("maxNewTokens must be at least 1, was " + maxNewTokens);
    }
  }

  /**
   * A request not made from a trace.
   *
   * @param systemPrompt the system message text
   * @param userParts the user turn's parts in order
   * @param maxNewTokens the maximum number of tokens to generate, at least 1
   * @param ignoreEos when true generation runs for exactly {@code maxNewTokens}
   * @param listener receives each generated token as it is produced
   * @param cancellation polled once per decode step
   */
  public EngineRequest(String systemPrompt, List<PromptPart> userParts, int maxNewTokens, boolean ignoreEos,
      TokenListener listener, Cancellation cancellation) {
    this(systemPrompt, userParts, maxNewTokens, ignoreEos, listener, cancellation, null);
  }

  /**
   * A request with no listener and no cancellation.
   *
   * @param systemPrompt the system message text
   * @param userParts the user turn's parts in order
   * @param maxNewTokens the maximum number of tokens to generate, at least 1
   * @return the request
   */
  public static EngineRequest of(String systemPrompt, List<PromptPart> userParts, int maxNewTokens) {
    return new EngineRequest(
        systemPrompt, userParts, maxNewTokens, false, TokenListener.NONE, Cancellation.NEVER);
  }

  /** Receives each generated token id and its decoded text piece, on the generating thread. */
  @FunctionalInterface
  public interface TokenListener {
    /** Ignores every token. */
    TokenListener NONE = (id, piece) -> {};

    /**
     * Called for each generated token.
     *
     * @param tokenId the token's id
     * @param piece the text it adds (empty while a character is incomplete, and for special tokens)
     */
    void onToken(int tokenId, String piece);
  }

  /** Polled between decode steps. */
  @FunctionalInterface
  public interface Cancellation {
    /** Never cancelled. */
    Cancellation NEVER = () -> false;

    /**
     * Whether generation must stop now.
     *
     * @return true to stop
     */
    boolean isCancelled();
  }
}
