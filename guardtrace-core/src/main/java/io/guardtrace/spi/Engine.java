package io.guardtrace.spi;

/**
 * A loaded model that turns one guard prompt into generated text. One engine serves many threads at once:
 * {@link #generate} is thread-safe. Closing it releases native memory; calls after {@link #close()} fail
 * with {@link io.guardtrace.GuardTraceClosedException}.
 */
public interface Engine extends AutoCloseable {

  /**
   * A stable identity of the loaded model and the engine settings that change its output (for example the
   * directory's weights fingerprint, dtype, pixel budget). Part of every cache key.
   *
   * @return the identity
   */
  String identity();

  /**
   * The maximum total sequence length (prompt plus generated tokens) this engine accepts.
   *
   * @return the context length in tokens
   */
  int contextLength();

  /**
   * The number of tokens {@code text} encodes to inside a user turn (no special tokens are recognised in
   * trace text). Used by core to budget and truncate prompts.
   *
   * @param text plain text
   * @return its token count
   */
  int countTokens(String text);

  /**
   * The most characters (UTF-16 code units) of trace text that one token counted by {@link #countTokens} can
   * stand for, so that {@code countTokens(s) >= s.length() / maxTokenChars()} holds for every text; 0 when
   * the engine cannot say. Core uses this bound to keep the work on oversized traces proportional to the
   * token budget: a text longer than {@code budget * maxTokenChars()} characters cannot fit, so it is refused
   * or cut before it is tokenized. A bound that is too large only costs work; one that is too small makes core
   * cut or refuse traces that would have fitted. With 0 every trace is tokenized in full.
   *
   * @return the bound in characters, or 0 when unknown
   */
  default int maxTokenChars() {
    return 0;
  }

  /**
   * The exact number of prompt tokens {@code request} would have once rendered with the chat template, image
   * tokens included (image headers are read for their sizes; pixels are not decoded).
   *
   * @param systemPrompt the system message
   * @param userParts the user turn's parts in order
   * @return the number of prompt tokens
   * @throws io.guardtrace.InvalidInputException for an unreadable image
   */
  int countPromptTokens(String systemPrompt, java.util.List<PromptPart> userParts);

  /**
   * Runs the model on one prompt: renders the chat template, preprocesses the images, prefills and decodes
   * greedily until an end-of-sequence token or {@link EngineRequest#maxNewTokens()}.
   *
   * @param request the prompt and generation settings
   * @return the generated text, token ids and timings
   * @throws io.guardtrace.InvalidInputException for an image that cannot be decoded or a prompt that is too long for
   *     the context
   * @throws io.guardtrace.GuardTraceCancelledException when {@link EngineRequest#cancellation()} fires
   * @throws io.guardtrace.EngineException for a failure inside the engine
   */
  EngineResult generate(EngineRequest request);

  /**
   * Opens a session that keeps the KV cache of its prompt between requests, for monitoring a trace while it
   * is streamed.
   *
   * @return a new session; close it after use
   * @throws UnsupportedOperationException when the engine has no sessions
   */
  default EngineSession openSession() {
    throw new UnsupportedOperationException("this engine does not support incremental sessions");
  }

  /** Releases the model's native memory. Idempotent. */
  @Override
  void close();
}
