package io.guardtrace.examples.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.guardtrace.GuardTrace;
import io.guardtrace.GuardTraceCancelledException;
import io.guardtrace.GuardTraceClosedException;
import io.guardtrace.GuardTraceException;
import io.guardtrace.SafetyVerdict;
import io.guardtrace.image.ImageDecoder;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code guardtrace eval}: judges GuardTrace-Test files as the reference evaluation of GuardTrace-VL does and
 * prints precision, recall and F1 per source beside the paper's figures.
 *
 * <p>What it reproduces from the reference ({@code eval/S-Eval_test_eval.py}): the prompt of every item (the
 * FigStep instruction as the question of S-Eval items; "Image missing or unavailable" in place of an image that
 * does not exist or does not decode; nothing for items without an image), the generation limit (2,000 new
 * tokens, greedy), the 8,192-token prompt budget, and error rows that stay out of the score. What it does
 * differently: an over-long prompt loses the middle of its thinking instead of its end (counted as
 * "truncated"), outputs without a judgment are counted apart and scored by {@code --unparsed-as}, and items are
 * judged concurrently ({@code --concurrency}), their decode steps shared by the engine.
 *
 * <p>Each verdict is appended to a JSON-lines predictions file as it arrives; running the same command again
 * resumes where it stopped (see {@link PredictionLog}).
 */
@Command(name = "eval", mixinStandardHelpOptions = true, defaultValueProvider = EvalCommand.Defaults.class,
    description = "Judge GuardTrace-Test files as the reference evaluation does and score them per source.")
final class EvalCommand implements Callable<Integer> {
  /** The version of how items are prompted and rows written; rows of another version are predicted again. */
  static final int PROTOCOL = 2;

  @Spec
  CommandSpec spec;

  @Mixin
  ModelOptions model = new ModelOptions();

  @Option(names = "--images", paramLabel = "DIR",
      description = "Directory holding the images the items name. Default: 'images' beside each dataset file.")
  Path images;

  @Option(names = "--predictions", paramLabel = "FILE",
      description = "JSON-lines predictions (and resume) file, with one dataset only. Default: "
          + "DATASET.json.predictions.jsonl beside each dataset.")
  Path predictions;

  @Option(names = "--concurrency", paramLabel = "N", defaultValue = "4",
      description = "Items judged at once; the engine shares their decode steps. Default: ${DEFAULT-VALUE}.")
  int concurrency;

  @Option(names = "--progress-every", paramLabel = "N", defaultValue = "20",
      description = "When stderr is not a terminal, print progress every N items. Default: ${DEFAULT-VALUE}.")
  int progressEvery;

  @Option(names = "--unparsed-as", paramLabel = "safe|harmful|skip", defaultValue = "safe",
      description = "How an output without a judgment is scored. Default: ${DEFAULT-VALUE}.")
  String unparsedAs;

  @Option(names = "--format", defaultValue = "text", description = "text or json. Default: ${DEFAULT-VALUE}.")
  String format;

  @Parameters(paramLabel = "DATASET.json", arity = "1..*",
      description = "GuardTrace-Test files (one per source, e.g. S-Eval_600.json).")
  List<Path> datasets;

  private final Function<GuardTrace.Builder, GuardTrace> opener;

  /** The command as the CLI runs it: the guard loads the model of {@code --model}. */
  EvalCommand() {
    this(GuardTrace.Builder::build);
  }

  /**
   * A command whose guard {@code opener} builds from a builder holding the command's settings (for tests: a
   * scripted engine in place of the model).
   */
  EvalCommand(Function<GuardTrace.Builder, GuardTrace> opener) {
    this.opener = opener;
  }

  /** eval's defaults for options it shares with other commands: the reference generates up to 2,000 tokens. */
  static final class Defaults implements CommandLine.IDefaultValueProvider {
    @Override
    public String defaultValue(ArgSpec arg) {
      return arg instanceof OptionSpec o && "--max-new-tokens".equals(o.longestName())
          ? String.valueOf(GuardTraceTestSet.MAX_NEW_TOKENS) : null;
    }
  }

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    EvalReport.Unparsed rule = checkOptions();
    List<EvalDataset> data = new ArrayList<>();
    for (Path file : datasets) {
      EvalDataset d = EvalDataset.read(file);
      if (d.namesImages() && !Files.isDirectory(imagesDir(d))) {
        throw new ExitCodes.BadInputException("images directory " + imagesDir(d) + " does not exist (items of "
            + file + " name images); pass --images DIR");
      }
      data.add(d);
    }
    if (model.systemPrompt == null) {
      err.println("eval: no --system-prompt, so guardtrace's own instruction is used; the paper's figures were "
          + "measured with the auditor prompt published in the GuardTrace-VL repository: pass it with "
          + "--system-prompt FILE to reproduce them.");
    }
    Path demoDir = model.isDemo() ? DemoModel.directory(err) : null;
    List<EvalReport.Input> inputs = new ArrayList<>();
    try (GuardTrace guard = opener.apply(settings(model.builder(demoDir, err)))) {
      String runKey = runKey(guard);
      List<PredictionLog> logs = new ArrayList<>();
      try {
        List<Work> work = new ArrayList<>();
        for (EvalDataset d : data) {
          PredictionLog log = PredictionLog.open(predictionsFile(d), runKey);
          logs.add(log);
          work.addAll(pending(d, log, err));
          inputs.add(new EvalReport.Input(d, log.rows()));
        }
        err.flush();
        int failed = judge(guard, work, new EvalProgress(err, work.size(), System.console() != null,
            progressEvery, System::nanoTime));
        if (failed > 0) {
          err.println("eval: " + failed + " items failed (see \"error\" in the predictions file); they are not "
              + "scored, and the next run tries them again.");
        }
      } finally {
        logs.forEach(PredictionLog::close);
      }
    }
    EvalReport report = EvalReport.of(inputs, rule);
    if ("json".equals(format)) {
      out.println(VerdictJson.write(report.json()));
      out.flush();
    } else {
      report.printText(out);
    }
    return ExitCodes.OK;
  }

  private EvalReport.Unparsed checkOptions() {
    CommandLine cl = spec.commandLine();
    if (concurrency < 1) {
      throw new CommandLine.ParameterException(cl, "--concurrency must be at least 1, was " + concurrency);
    }
    if (progressEvery < 1) {
      throw new CommandLine.ParameterException(cl, "--progress-every must be at least 1, was " + progressEvery);
    }
    if (!"text".equals(format) && !"json".equals(format)) {
      throw new CommandLine.ParameterException(cl, "--format must be text or json, was '" + format + "'");
    }
    if (predictions != null && datasets.size() > 1) {
      throw new CommandLine.ParameterException(cl, "--predictions names one file: pass one dataset with it, or "
          + "drop it to keep each dataset's predictions beside it");
    }
    if (datasets.stream().map(f -> f.toAbsolutePath().normalize()).distinct().count() < datasets.size()) {
      throw new CommandLine.ParameterException(cl, "a dataset is given twice");
    }
    if (model.missingImageNotice) {
      throw new CommandLine.ParameterException(cl, "--missing-image-notice does not apply to eval: as in the "
          + "reference, an item whose image is missing gets the notice and an item without an image does not");
    }
    try {
      return EvalReport.Unparsed.of(unparsedAs);
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(cl, "--unparsed-as must be safe, harmful or skip, was '"
          + unparsedAs + "'");
    }
  }

  /** The command's settings on top of the model options: the reference's limits and the concurrency. */
  private GuardTrace.Builder settings(GuardTrace.Builder b) {
    b.maxNewTokens(model.maxNewTokens).concurrency(concurrency)
        .maxImagePixels(GuardTraceTestSet.REFERENCE_MAX_IMAGE_PIXELS);
    if (model.systemPrompt != null) {
      try {
        // the reference strips the prompt file's text
        b.systemPrompt(Files.readString(model.systemPrompt, StandardCharsets.UTF_8).strip());
      } catch (IOException e) {
        throw new ExitCodes.BadInputException("cannot read system prompt file " + model.systemPrompt + ": "
            + e.getMessage(), e);
      }
    }
    return b;
  }

  private Path imagesDir(EvalDataset d) {
    return images != null ? images : d.file().toAbsolutePath().getParent().resolve("images");
  }

  private Path predictionsFile(EvalDataset d) {
    return predictions != null ? predictions : d.file().resolveSibling(d.file().getFileName() + ".predictions.jsonl");
  }

  /** The items of {@code d} without a row of this run, after saying what was found in the file. */
  private List<Work> pending(EvalDataset d, PredictionLog log, PrintWriter err) {
    if (log.ignoredItems() > 0) {
      err.println("eval: ignoring the predictions of " + log.ignoredItems() + " items in "
          + TerminalText.line(log.file().toString())
          + ": they were made with other settings or an earlier version of eval, and are judged again");
    }
    List<Work> work = new ArrayList<>();
    for (EvalItem item : d.items()) {
      if (!log.isDone(item.index())) {
        work.add(new Work(item, imagesDir(d), log));
      }
    }
    int done = d.items().size() - work.size();
    if (done > 0) {
      err.println("resuming: " + done + " of " + d.items().size() + " items already predicted in "
          + TerminalText.line(log.file().toString()));
    }
    return work;
  }

  /** The key rows of this run are tagged with: everything that decides a verdict. */
  private static String runKey(GuardTrace guard) {
    String settings = "eval-protocol-" + PROTOCOL + "\n" + guard.modelIdentity() + "\n" + guard.systemPrompt()
        + "\n" + guard.options().maxNewTokens() + "\n" + guard.options().tokenBudget();
    try {
      byte[] hash = MessageDigest.getInstance("SHA-256").digest(settings.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(hash, 0, 8);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JVM", e);
    }
  }

  /** One item to judge, where its image is looked for, and where its row goes. */
  private record Work(EvalItem item, Path imagesDir, PredictionLog log) {}

  /**
   * Judges {@code work} through {@link GuardTrace#detectAsync} with at most twice {@code --concurrency} items
   * in flight (so the guard's threads always have the next item while rows are written), writing each row as
   * its verdict arrives.
   *
   * @return the number of items that failed
   */
  private int judge(GuardTrace guard, List<Work> work, EvalProgress progress) {
    int window = 2 * concurrency;
    Semaphore slots = new Semaphore(window);
    AtomicReference<Throwable> fatal = new AtomicReference<>();
    AtomicInteger failed = new AtomicInteger();
    ImageDecoder decoder = new ImageDecoder(GuardTraceTestSet.REFERENCE_MAX_IMAGE_PIXELS);
    try {
      for (Work w : work) {
        slots.acquire();
        if (fatal.get() != null) {
          slots.release();
          break;
        }
        judge(guard, w, decoder).whenComplete((row, e) -> {
          try {
            if (e != null) {
              fatal.compareAndSet(null, unwrap(e));
              return;
            }
            w.log().append(row);
            if (row.has("error")) {
              failed.incrementAndGet();
            }
            progress.itemDone();
          } catch (RuntimeException | Error ex) {
            fatal.compareAndSet(null, ex);
          } finally {
            slots.release();
          }
        });
      }
      slots.acquire(window);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new GuardTraceCancelledException("interrupted while judging", e);
    }
    Throwable t = fatal.get();
    if (t instanceof RuntimeException r) {
      throw r;
    }
    if (t instanceof Error er) {
      throw er;
    }
    if (t != null) {
      throw new IllegalStateException(t);
    }
    return failed.get();
  }

  /**
   * The row of one item. A failure the reference would also have met per item (an unusable trace, an image it
   * decoded but the model cannot take, an engine error) becomes an error row; a closed guard or a bug fails
   * the future and stops the run.
   */
  private static CompletableFuture<ObjectNode> judge(GuardTrace guard, Work w, ImageDecoder decoder) {
    EvalItem item = w.item();
    ObjectNode row = VerdictJson.JSON.createObjectNode();
    row.put("protocol", PROTOCOL);
    row.put("index", item.index());
    row.put("image_name", item.imageName());
    row.put("label", item.label());
    CompletableFuture<SafetyVerdict> verdict;
    try {
      EvalItem.Prepared p = item.prepare(w.imagesDir(), decoder);
      row.put("image", p.image().json());
      if (p.imageProblem() != null) {
        row.put("image_problem", p.imageProblem());
      }
      verdict = guard.detectAsync(p.trace());
    } catch (GuardTraceException e) {
      verdict = CompletableFuture.failedFuture(e);
    }
    return verdict.handle((v, e) -> {
      if (e != null) {
        Throwable cause = unwrap(e);
        if (!(cause instanceof GuardTraceException) || cause instanceof GuardTraceClosedException) {
          throw new CompletionException(cause);
        }
        row.put("error", GuardTraceCli.message(cause));
        return row;
      }
      if (v.parsed()) {
        row.put("judgment", v.score());
      } else {
        row.putNull("judgment");
      }
      row.put("parsed", v.parsed());
      row.put("truncated", v.truncated());
      row.put("finished", v.finished());
      row.put("prompt_tokens", v.promptTokens());
      row.put("generated_tokens", v.generatedTokens());
      row.put("eval_result", v.rawOutput());
      return row;
    });
  }

  private static Throwable unwrap(Throwable e) {
    while (e instanceof CompletionException && e.getCause() != null) {
      e = e.getCause();
    }
    return e;
  }
}
