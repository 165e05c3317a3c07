package io.guardtrace.spi;

/**
 * Service-provider interface between {@code guardtrace-core} and a model engine such as
 * {@code guardtrace-models}. Implementations are found with {@link java.util.ServiceLoader} under
 * {@code META-INF/services/io.guardtrace.spi.EngineProvider}.
 *
 * <p>Implementations must be thread-safe and cheap to construct; all heavy work happens in {@link #open}.
 */
public interface EngineProvider {

  /**
   * A short name for messages, for example {@code "qwen2_5_vl (DJL PyTorch)"}.
   *
   * @return the name
   */
  String name();

  /**
   * Whether this provider can open the model described by {@code options}; usually decided from the
   * model directory's {@code config.json}. Must not load weights.
   *
   * @param options the model directory and settings
   * @return whether {@link #open} can load it
   */
  boolean supports(EngineOptions options);

  /**
   * Opens the engine: loads weights, tokenizer and configuration.
   *
   * @param options the model directory and settings
   * @return the loaded engine
   * @throws io.guardtrace.ModelLoadException when the model files are missing, malformed or unsupported
   */
  Engine open(EngineOptions options);
}
