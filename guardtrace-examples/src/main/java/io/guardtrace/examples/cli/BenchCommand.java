package io.guardtrace.examples.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.guardtrace.QtaPrompt;
import io.guardtrace.TraceImage;
import io.guardtrace.models.engine.Qwen25VlEngine;
import io.guardtrace.spi.EngineOptions;
import io.guardtrace.spi.EngineRequest;
import io.guardtrace.spi.EngineResult;
import io.guardtrace.spi.PromptPart;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code guardtrace bench}: times the engine on a synthetic request: load, image preprocessing, vision,
 * prefill, decode per token (median and p90 over every step of every run), end to end, and peak memory.
 * Generation ignores end-of-sequence and runs exactly {@code --new-tokens} steps so runs compare. With
 * {@code --concurrency N} every run sends N requests at once and also reports the generated tokens per second
 * of all of them together and how many sequences the engine's shared decode steps carried.
 */
@Command(name = "bench", mixinStandardHelpOptions = true, description = "Benchmark the engine.")
final class BenchCommand implements Callable<Integer> {
  @Spec
  CommandSpec spec;

  @Option(names = "--model", required = true, paramLabel = "DIR", description = "Model directory.")
  Path model;

  @Option(names = "--device", defaultValue = "auto", description = "auto, cpu, gpu or gpu:N.")
  String device;

  @Option(names = "--dtype", defaultValue = "auto",
      description = "auto, float32, bfloat16 or int8 (bfloat16 with int8 decode weights).")
  String dtype;

  @Option(names = "--prompt-tokens", defaultValue = "512",
      description = "Prompt tokens in all (the trace text is sized to fill them).")
  int promptTokens;

  @Option(names = "--image", paramLabel = "WxH", description = "Add a synthetic image of this size.")
  String image;

  @Option(names = "--new-tokens", defaultValue = "32", description = "Generated tokens per run.")
  int newTokens;

  @Option(names = "--runs", defaultValue = "3", description = "Timed runs (after one warm-up run).")
  int runs;

  @Option(names = "--warmup", defaultValue = "1", description = "Untimed warm-up runs.")
  int warmup;

  @Option(names = "--threads", defaultValue = "0", description = "CPU threads (0: all cores).")
  int threads;

  @Option(names = "--no-prefix-cache", description = "Disable the system-prompt KV cache.")
  boolean noPrefixCache;

  @Option(names = "--system-prompt", paramLabel = "default|short|FILE", defaultValue = "short",
      description = "The system prompt: 'default' (guardtrace's auditor instruction), 'short' (one sentence, so "
          + "the prompt is about --prompt-tokens long) or a file.")
  String systemPrompt;

  @Option(names = "--format", defaultValue = "text", description = "text or json.")
  String format;

  @Option(names = "--concurrency", defaultValue = "1",
      description = "Requests run at the same time in each run (each with its own trace text); their decode "
          + "steps share passes over the weights where the engine batches them.")
  int concurrency;

  @Override
  public Integer call() throws IOException {
    PrintWriter out = spec.commandLine().getOut();
    if (concurrency < 1) {
      throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--concurrency must be at least 1");
    }
    long t0 = System.nanoTime();
    EngineOptions options = new EngineOptions(model, device, dtype, null, null,
        EngineOptions.DEFAULT_MAX_DECODED_PIXELS, threads, !noPrefixCache);
    try (Qwen25VlEngine engine = Qwen25VlEngine.open(options)) {
      double loadMs = (System.nanoTime() - t0) / 1e6;
      String system = switch (systemPrompt) {
        case "default" -> io.guardtrace.GuardTrace.defaultSystemPrompt();
        case "short" -> "You audit reasoning traces for safety.";
        default -> Files.readString(Path.of(systemPrompt));
      };
      List<PromptPart> parts = new ArrayList<>();
      if (image != null) {
        parts.add(PromptPart.image(syntheticImage(image)));
      }
      // the whole prompt (template, system prompt, images, labels) is --prompt-tokens long
      List<PromptPart> empty = new ArrayList<>(parts);
      empty.add(PromptPart.text(QtaPrompt.text("", "", "")));
      int overhead = engine.countPromptTokens(system, empty);
      String text = textOfTokens(engine, Math.max(1, promptTokens - overhead));
      // concurrent requests differ in their first word, so none can be served from another's work
      List<List<PromptPart>> requests = new ArrayList<>();
      for (int c = 0; c < concurrency; c++) {
        List<PromptPart> own = new ArrayList<>(parts);
        own.add(PromptPart.text(c == 0 ? text : "request " + c + " " + text));
        requests.add(own);
      }
      parts.add(PromptPart.text(text));
      int prompt = engine.countPromptTokens(system, parts);
      ExecutorService callers = Executors.newFixedThreadPool(concurrency, task -> {
        Thread t = new Thread(task, "bench-request");
        t.setDaemon(true);
        return t;
      });
      List<Double> pre = new ArrayList<>();
      List<Double> vision = new ArrayList<>();
      List<Double> prefill = new ArrayList<>();
      List<Double> total = new ArrayList<>();
      List<Double> steps = new ArrayList<>();
      List<Double> bandwidth = new ArrayList<>();
      List<Double> throughput = new ArrayList<>();
      String bandwidthMethod = "none";
      var batcher = engine.decodeBatcher();
      long sharedBefore = batcher != null ? batcher.sharedSteps() : 0;
      long sequencesBefore = batcher != null ? batcher.sequencesInSharedSteps() : 0;
      for (int r = 0; r < warmup + runs; r++) {
        List<CompletableFuture<Timed>> running = new ArrayList<>();
        long s = System.nanoTime();
        for (List<PromptPart> own : requests) {
          running.add(CompletableFuture.supplyAsync(() -> timed(engine, system, own), callers));
        }
        List<Timed> done = running.stream().map(CompletableFuture::join).toList();
        double e2e = (System.nanoTime() - s) / 1e6;
        for (Timed t : done) {
          spec.commandLine().getErr().printf(Locale.ROOT, "run %d%s: prefill %.0f ms, steps %s%n", r,
              r < warmup ? " (warm-up)" : "", t.result.prefillNanos() / 1e6,
              t.steps.stream().map(v -> String.format(Locale.ROOT, "%.0f", v)).toList());
        }
        if (r >= warmup) {
          for (Timed t : done) {
            pre.add(t.result.preprocessNanos() / 1e6);
            vision.add(t.result.visionNanos() / 1e6);
            prefill.add(t.result.prefillNanos() / 1e6);
            steps.addAll(t.steps);
          }
          total.add(e2e);
          throughput.add(concurrency * (double) newTokens / (e2e / 1000));
          // measured after every run: on a shared machine the bandwidth moves, and the ratio is what compares
          MemoryBandwidth.Measurement m = MemoryBandwidth.measure(engine.device());
          bandwidth.add(m.gbPerSecond());
          bandwidthMethod = m.method();
        }
      }
      ObjectNode o = VerdictJson.JSON.createObjectNode();
      o.put("model", model.toString());
      o.put("device", engine.device().toString());
      o.put("dtype", dtype);
      o.put("threads", threads);
      o.put("promptTokens", prompt);
      o.put("image", image == null ? "none" : image);
      o.put("newTokens", newTokens);
      o.put("runs", runs);
      o.put("prefixCache", !noPrefixCache);
      o.put("concurrency", concurrency);
      o.put("decodeBatchSize", engine.decodeBatchSize());
      o.put("decodeKernels", engine.decodeKernels());
      long shared = batcher != null ? batcher.sharedSteps() - sharedBefore : 0;
      o.put("sharedDecodeSteps", shared);
      o.put("meanSharedBatch",
          shared == 0 ? 0 : round((batcher.sequencesInSharedSteps() - sequencesBefore) / (double) shared));
      o.put("loadMs", round(loadMs));
      o.put("preprocessMs", round(median(pre)));
      o.put("visionMs", round(median(vision)));
      o.put("prefillMs", round(median(prefill)));
      o.put("prefillTokensPerSec", round(prompt / (median(prefill) / 1000)));
      o.put("decodeMsPerTokenMedian", round(median(steps)));
      o.put("decodeMsPerTokenP90", round(percentile(steps, 0.9)));
      long weightBytes = engine.weightBytesPerToken();
      double floorMs = weightBytes / (median(bandwidth) * 1e6);
      o.put("memoryBandwidthGBs", round(median(bandwidth)));
      o.put("memoryBandwidthMethod", bandwidthMethod);
      o.put("decodeWeightBytes", weightBytes);
      o.put("decodeFloorMs", round(floorMs));
      o.put("decodeVsFloor", round(median(steps) / floorMs));
      o.put("endToEndMs", round(median(total)));
      o.put("generatedTokensPerSec", round(median(throughput)));
      o.put("peakHeapMb", round(peakHeapMb()));
      o.put("peakRssMb", round(peakRssMb()));
      if (format.equals("json")) {
        out.println(o);
      } else {
        o.fields().forEachRemaining(e -> out.printf(Locale.ROOT, "%-24s %s%n", e.getKey(), e.getValue().asText()));
      }
      out.flush();
      callers.shutdown();
    }
    return ExitCodes.OK;
  }

  /** A request's result and the times between its generated tokens. */
  private record Timed(EngineResult result, List<Double> steps) {}

  private Timed timed(Qwen25VlEngine engine, String system, List<PromptPart> parts) {
    long[] last = {0};
    List<Double> steps = new ArrayList<>();
    EngineRequest req = new EngineRequest(system, parts, newTokens, true, (id, piece) -> {
      long now = System.nanoTime();
      if (last[0] != 0) {
        steps.add((now - last[0]) / 1e6);
      }
      last[0] = now;
    }, EngineRequest.Cancellation.NEVER);
    return new Timed(engine.generate(req), steps);
  }

  /** Text of exactly {@code n} tokens (ordinary English, so merges are realistic). */
  static String textOfTokens(Qwen25VlEngine engine, int n) {
    String[] words = ("the model reasons step by step about the request and its safety before it writes the final "
        + "answer for the user while the guard checks each claim in the reasoning trace carefully").split(" ");
    StringBuilder b = new StringBuilder();
    int i = 0;
    while (engine.countTokens(b.toString()) < n) {
      b.append(i == 0 ? "" : " ").append(words[i % words.length]);
      i++;
    }
    String s = b.toString();
    while (engine.countTokens(s) > n && s.length() > 0) {
      s = s.substring(0, s.length() - 1);
    }
    return QtaPrompt.text(s, "", "");
  }

  static TraceImage syntheticImage(String size) {
    String[] wh = size.toLowerCase(Locale.ROOT).split("x");
    if (wh.length != 2) {
      throw new picocli.CommandLine.TypeConversionException("--image must be WxH, e.g. 448x448");
    }
    int w = Integer.parseInt(wh[0]);
    int h = Integer.parseInt(wh[1]);
    BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
    Random r = new Random(7);
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        int v = (x * 255 / Math.max(1, w - 1)) << 16 | (y * 255 / Math.max(1, h - 1)) << 8 | r.nextInt(256);
        img.setRGB(x, y, v);
      }
    }
    return TraceImage.ofImage(img);
  }

  static double median(List<Double> v) {
    return percentile(v, 0.5);
  }

  static double percentile(List<Double> v, double q) {
    if (v.isEmpty()) {
      return 0;
    }
    double[] a = v.stream().mapToDouble(Double::doubleValue).toArray();
    Arrays.sort(a);
    int i = (int) Math.ceil(q * a.length) - 1;
    return a[Math.max(0, Math.min(a.length - 1, i))];
  }

  static double round(double v) {
    return Math.round(v * 100) / 100.0;
  }

  static double peakHeapMb() {
    long sum = 0;
    for (MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans()) {
      if (p.getType() == MemoryType.HEAP) {
        sum += p.getPeakUsage().getUsed();
      }
    }
    return sum / 1048576.0;
  }

  static double peakRssMb() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith("VmHWM:")) {
          return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024.0;
        }
      }
    } catch (IOException e) {
      return -1;
    }
    return -1;
  }
}
