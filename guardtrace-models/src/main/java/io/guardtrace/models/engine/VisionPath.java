package io.guardtrace.models.engine;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.guardtrace.TraceImage;
import io.guardtrace.models.config.ModelConfig;
import io.guardtrace.models.config.ModelDirectory;
import io.guardtrace.models.image.ImagePreprocessor;
import io.guardtrace.models.image.ImageProcessorConfig;
import io.guardtrace.models.image.PreprocessedImage;
import io.guardtrace.models.vision.VisionConfig;
import io.guardtrace.models.vision.VisionTower;
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
  private final ImagePreprocessor preprocessor;
  private final VisionTower tower;
  private final TensorLoader loader;

  /** Preprocessed images of one request. */
  record Encoded(List<PreprocessedImage> images) {
    static final Encoded NONE = new Encoded(List.of());

    int tokenCount(int image) {
      return images.get(image).tokenCount();
    }

    List<int[]> grids() {
      return images.stream().map(PreprocessedImage::grid).toList();
    }
  }

  private VisionPath(ImagePreprocessor preprocessor, VisionTower tower, TensorLoader loader) {
    this.preprocessor = preprocessor;
    this.tower = tower;
    this.loader = loader;
  }

  /**
   * Refuses an image processor and a vision tower that would disagree on every image: the patch geometry
   * must match, and the merger must output the language model's width.
   *
   * @throws io.guardtrace.ModelLoadException naming both files' fields
   */
  static void requireConsistent(ImageProcessorConfig pc, VisionConfig vc, ModelConfig config) {
    if (pc.patchSize() != vc.patchSize() || pc.mergeSize() != vc.spatialMergeSize()
        || pc.temporalPatchSize() != vc.temporalPatchSize()) {
      throw new io.guardtrace.ModelLoadException("preprocessor_config.json (patch_size " + pc.patchSize()
          + ", merge_size " + pc.mergeSize() + ", temporal_patch_size " + pc.temporalPatchSize()
          + ") disagrees with config.json's vision_config (patch_size " + vc.patchSize() + ", spatial_merge_size "
          + vc.spatialMergeSize() + ", temporal_patch_size " + vc.temporalPatchSize() + ")");
    }
    if (vc.outHiddenSize() != config.text().hiddenSize()) {
      throw new io.guardtrace.ModelLoadException("config.json: \"vision_config.out_hidden_size\" is "
          + vc.outHiddenSize() + " but the language model's \"hidden_size\" is " + config.text().hiddenSize()
          + "; image embeddings must have the language model's width");
    }
  }

  /** Reads the vision settings of the checkpoint in {@code dir}, checks them and loads the tower (for tests). */
  static VisionPath open(Path dir, ModelConfig config, WeightStore store, ai.djl.Device device,
      TensorLoader.Precision precision, EngineOptions options) {
    ModelDirectory files = ModelDirectory.of(dir);
    ImageProcessorConfig pc = ImageProcessorConfig.load(files.file("preprocessor_config.json"))
        .withPixels(options.minPixels(), options.maxPixels());
    VisionConfig vc = VisionConfig.fromJson(config.visionConfig(), files.file("config.json"));
    requireConsistent(pc, vc, config);
    return open(pc, vc, store, device, precision, options);
  }

  /**
   * Loads the vision tower's weights; if that fails part-way, frees what was loaded.
   *
   * @param pc the image processor's settings (pixel overrides applied), consistent with {@code vc}
   */
  static VisionPath open(ImageProcessorConfig pc, VisionConfig vc, WeightStore store, ai.djl.Device device,
      TensorLoader.Precision precision, EngineOptions options) {
    TensorLoader loader = new TensorLoader(device, precision);
    try {
      VisionTower tower = new VisionTower(vc, loader, store::vision, store);
      loader.finishLoading();
      return new VisionPath(new ImagePreprocessor(pc, options.maxDecodedPixels()), tower, loader);
    } catch (RuntimeException | Error e) {
      loader.close();
      throw e;
    }
  }

  /** Settings that change what the model sees, for the engine identity. */
  String identity() {
    ImageProcessorConfig c = preprocessor.config();
    return "pixels[" + c.minPixels() + "," + c.maxPixels() + "]";
  }

  int mergeSize() {
    return tower.config().spatialMergeSize();
  }

  /** Tokens of {@code image}, from its header alone. */
  int tokenCount(TraceImage image) {
    return preprocessor.geometry(image).tokens();
  }

  /** Decodes and preprocesses every image part, in order. */
  Encoded preprocess(List<PromptPart> parts) {
    List<PreprocessedImage> images = new ArrayList<>();
    for (PromptPart p : parts) {
      if (p instanceof PromptPart.Image img) {
        images.add(preprocessor.preprocess(img.image()));
      }
    }
    return images.isEmpty() ? Encoded.NONE : new Encoded(images);
  }

  /** The images' embeddings {@code (tokens, hidden)} on {@code manager}, or null without images. */
  @Nullable NDArray encode(NDManager manager, Encoded images) {
    if (images.images().isEmpty()) {
      return null;
    }
    int rows = images.images().stream().mapToInt(PreprocessedImage::rows).sum();
    int len = images.images().get(0).rowLength();
    float[] all = new float[rows * len];
    int pos = 0;
    for (PreprocessedImage p : images.images()) {
      System.arraycopy(p.pixelValues(), 0, all, pos, p.pixelValues().length);
      pos += p.pixelValues().length;
    }
    try (NDArray pixels = manager.create(all, new Shape(rows, len))) {
      return tower.forward(manager, pixels, images.grids());
    }
  }

  @Override
  public void close() {
    loader.close();
  }
}
