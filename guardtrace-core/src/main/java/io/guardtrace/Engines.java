package io.guardtrace;

import io.guardtrace.spi.Engine;
import io.guardtrace.spi.EngineOptions;
import io.guardtrace.spi.EngineProvider;
import io.guardtrace.spi.ModelLocator;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.ServiceLoader;
import org.jspecify.annotations.Nullable;

/** Finds engines and model locators on the classpath with {@link ServiceLoader}. */
final class Engines {
  private Engines() {}

  static Engine open(Path modelDir, GuardTraceOptions o) {
    if (!Files.isDirectory(modelDir)) {
      throw new ModelLoadException("model directory " + modelDir + " does not exist");
    }
    EngineOptions options = new EngineOptions(modelDir, o.device(), o.dtype(), o.minPixels(), o.maxPixels(),
        o.maxImagePixels(), o.threads(), o.prefixCache());
    List<String> names = new ArrayList<>();
    for (EngineProvider p : ServiceLoader.load(EngineProvider.class, Engines.class.getClassLoader())) {
      names.add(p.name());
      if (p.supports(options)) {
        return p.open(options);
      }
    }
    if (names.isEmpty()) {
      throw new ModelLoadException("no guardtrace engine on the classpath: add the io.guardtrace:"
          + "guardtrace-models dependency");
    }
    throw new ModelLoadException("no engine supports the model in " + modelDir + " (tried " + names + ")");
  }

  static Path locate(String modelId, @Nullable String revision, DownloadListener listener) {
    for (ModelLocator l : ServiceLoader.load(ModelLocator.class, Engines.class.getClassLoader())) {
      return l.locate(modelId, revision, listener);
    }
    throw new ModelLoadException("cannot resolve model id " + modelId + ": no model locator on the classpath "
        + "(add io.guardtrace:guardtrace-models) — or pass a local directory with model(Path)");
  }
}
