package io.guardtrace.examples.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.guardtrace.TraceImage;
import io.guardtrace.models.image.ImageGeometry;
import io.guardtrace.models.image.ImagePreprocessor;
import io.guardtrace.models.image.ImageProcessorConfig;
import io.guardtrace.models.image.PreprocessedImage;
import io.guardtrace.spi.EngineOptions;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code guardtrace inspect-image}: how each image is resized and tokenized, one JSON object per image, with
 * {@code pixelSum}, the sum of all {@code pixel_values} accumulated in double (a checksum to compare with the
 * reference processor).
 */
@Command(name = "inspect-image", mixinStandardHelpOptions = true,
    description = "Show how images are resized, cut into patches and tokenized (one JSON object per image).")
final class InspectImageCommand implements Callable<Integer> {
  @Spec
  CommandSpec spec;

  @Option(names = "--min-pixels", description = "Default: Qwen2.5-VL's 3136.")
  Integer minPixels;

  @Option(names = "--max-pixels", description = "Default: Qwen2.5-VL's 12845056.")
  Integer maxPixels;

  @Option(names = "--preprocessor-config", paramLabel = "FILE",
      description = "A model's preprocessor_config.json (default: Qwen2.5-VL's settings).")
  Path preprocessorConfig;

  @Parameters(paramLabel = "IMAGE", arity = "1..*")
  List<Path> images = new ArrayList<>();

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    ImageProcessorConfig base = preprocessorConfig != null ? ImageProcessorConfig.load(preprocessorConfig)
        : ImageProcessorConfig.qwen25vl();
    ImagePreprocessor pre = new ImagePreprocessor(base.withPixels(minPixels, maxPixels),
        EngineOptions.DEFAULT_MAX_DECODED_PIXELS);
    for (Path p : images) {
      TraceImage image = TraceImage.ofPath(p);
      ImageGeometry g = pre.geometry(image);
      PreprocessedImage px = pre.preprocess(image);
      double sum = 0;
      for (float v : px.pixelValues()) {
        sum += v;
      }
      ObjectNode o = VerdictJson.JSON.createObjectNode();
      o.put("image", p.toString());
      o.put("width", g.width());
      o.put("height", g.height());
      o.put("resizedWidth", g.resizedWidth());
      o.put("resizedHeight", g.resizedHeight());
      o.put("gridT", px.gridT());
      o.put("gridH", px.gridH());
      o.put("gridW", px.gridW());
      o.put("tokens", px.tokenCount());
      o.put("pixelSum", sum);
      out.println(VerdictJson.write(o));
    }
    out.flush();
    return ExitCodes.OK;
  }
}
