package io.guardtrace.models.engine;

import com.fasterxml.jackson.databind.JsonNode;
import io.guardtrace.models.config.Json;
import io.guardtrace.models.config.ModelConfig;
import io.guardtrace.spi.Engine;
import io.guardtrace.spi.EngineOptions;
import io.guardtrace.spi.EngineProvider;
import java.nio.file.Files;
import java.nio.file.Path;

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
    Path config = options.modelDir().resolve("config.json");
    if (!Files.isRegularFile(config)) {
      // let open() report the missing file with a precise message
      return true;
    }
    try {
      JsonNode node = Json.MAPPER.readTree(config.toFile());
      return node != null && ModelConfig.QWEN2_5_VL.equals(node.path("model_type").asText());
    } catch (java.io.IOException e) {
      return true;
    }
  }

  @Override
  public Engine open(EngineOptions options) {
    return Qwen25VlEngine.open(options);
  }
}
