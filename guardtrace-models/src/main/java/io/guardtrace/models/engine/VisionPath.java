package io.guardtrace.models.engine;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.guardtrace.InvalidInputException;
import io.guardtrace.TraceImage;
import io.guardtrace.models.config.ModelConfig;
import io.guardtrace.models.weights.TensorLoader;
import io.guardtrace.models.weights.WeightStore;
import io.guardtrace.spi.EngineOptions;
import io.guardtrace.spi.PromptPart;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/** Images to embeddings: decoding and preprocessing on the host, then the vision tower on the device. */
final class VisionPath implements AutoCloseable {
  private final int mergeSize;

  /** Preprocessed images of one request. */
  record Encoded(List<int[]> grids, List<Integer> tokens) {
    static final Encoded NONE = new Encoded(List.of(), List.of());

    int tokenCount(int image) {
      return tokens.get(image);
    }
  }

  private VisionPath(int mergeSize) {
    this.mergeSize = mergeSize;
  }

  static VisionPath open(Path dir, ModelConfig config, WeightStore store, Device device,
      TensorLoader.Precision precision, EngineOptions options) {
    return new VisionPath(config.visionConfig().path("spatial_merge_size").asInt(2));
  }

  String identity() {
    return "vision";
  }

  int mergeSize() {
    return mergeSize;
  }

  int tokenCount(TraceImage image) {
    throw new InvalidInputException("images are not supported yet");
  }

  Encoded preprocess(List<PromptPart> parts) {
    List<int[]> grids = new ArrayList<>();
    for (PromptPart p : parts) {
      if (p instanceof PromptPart.Image) {
        throw new InvalidInputException("images are not supported yet");
      }
    }
    return grids.isEmpty() ? Encoded.NONE : Encoded.NONE;
  }

  @Nullable NDArray encode(NDManager manager, Encoded images) {
    return null;
  }

  @Override
  public void close() {}
}
