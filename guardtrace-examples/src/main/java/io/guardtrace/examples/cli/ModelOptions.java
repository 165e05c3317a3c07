package io.guardtrace.examples.cli;

import io.guardtrace.GuardTrace;
import java.io.PrintWriter;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** Options shared by the commands that load a model. */
final class ModelOptions {
  // no picocli default: without --model the builder resolves its default id through the hub cache, so a
  // directory of that name under the working directory can never stand in for it
  @Option(names = "--model", paramLabel = "DIR|ID|demo",
      description = "Model directory (absolute, or starting with ./ or ../), Hugging Face id ORG/NAME (from the "
          + "Hugging Face cache, downloaded when missing unless offline), or 'demo' (a tiny random model built on "
          + "the spot; its verdicts are meaningless). Default: " + GuardTrace.Builder.DEFAULT_MODEL + ".")
  String model;

  @Option(names = "--revision", description = "Hugging Face revision of a model given by id.")
  String revision;

  @Option(names = "--device", description = "auto, cpu, gpu or gpu:N. Default: ${DEFAULT-VALUE}.",
      defaultValue = "auto")
  String device;

  @Option(names = "--dtype", description = "auto, float32, bfloat16 or int8. Default: ${DEFAULT-VALUE}.",
      defaultValue = "auto")
  String dtype;

  @Option(names = "--system-prompt", paramLabel = "FILE", description = "System prompt file (UTF-8).")
  Path systemPrompt;

  @Option(names = "--max-new-tokens", paramLabel = "N", description = "Generation limit. Default: ${DEFAULT-VALUE}.",
      defaultValue = "1024")
  int maxNewTokens;

  @Option(names = "--missing-image-notice",
      description = "Add 'Image missing or unavailable' to traces without images, as the reference demo does.")
  boolean missingImageNotice;

  @Option(names = "--threads", description = "CPU threads for the engine (default: all cores).")
  Integer threads;

  boolean isDemo() {
    return "demo".equals(model);
  }

  /**
   * A builder with these options applied (the demo model resolved by the caller), showing any download on
   * {@code err}.
   */
  GuardTrace.Builder builder(Path resolvedDemoDir, PrintWriter err) {
    GuardTrace.Builder b = GuardTrace.builder().device(device).dtype(dtype).maxNewTokens(maxNewTokens)
        .missingImageNotice(missingImageNotice).downloadListener(DownloadProgressPrinter.forConsole(err));
    if (isDemo()) {
      b.model(resolvedDemoDir);
    } else if (model != null) {
      try {
        b.model(model);
      } catch (IllegalArgumentException e) {
        throw new ExitCodes.UsageException("--model: " + e.getMessage(), e);
      }
    }
    if (revision != null) {
      b.revision(revision);
    }
    if (systemPrompt != null) {
      b.systemPrompt(systemPrompt);
    }
    if (threads != null) {
      b.threads(threads);
    }
    return b;
  }
}
