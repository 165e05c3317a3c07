package io.guardtrace.models.engine;

import com.fasterxml.jackson.databind.JsonNode;
import io.guardtrace.ModelLoadException;
import io.guardtrace.models.config.Json;
import io.guardtrace.models.config.ModelConfig;
import io.guardtrace.models.config.ModelDirectory;
import io.guardtrace.spi.Engine;
import io.guardtrace.spi.EngineOptions;
import io.guardtrace.spi.EngineProvider;

/** Registers the Qwen2.5-VL engine with guardtrace-core's {@link java.util.ServiceLoader} lookup. */
public final class Qwen25VlEngineProvider implements EngineProvider {
  static {
    io.guardtrace.models.DjlDefaults.apply();
  }

  /** Used by ServiceLoader. */
  public Qwen25VlEngineProvider() {}

  @Override
  public String name() {
    return "qwen2_5_vl (DJL PyTorch)";
  }

  @Override
  public boolean supports(EngineOptions options) {
    try {
      // through ModelDirectory: a config.json that is a FIFO or a link out of the model must not be read here
      JsonNode node = Json.read(ModelDirectory.of(options.modelDir()).file("config.json"));
      return ModelConfig.QWEN2_5_VL.equals(node.path("model_type").asText());
    } catch (ModelLoadException e) {
      // let open() report the missing or refused file with a precise message
      return true;
    }
  }

  @Override
  public Engine open(EngineOptions options) {
    return Qwen25VlEngine.open(options);
  }
}
