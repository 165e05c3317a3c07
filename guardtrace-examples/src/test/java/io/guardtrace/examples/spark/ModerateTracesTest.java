package io.guardtrace.examples.spark;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.module.scala.DefaultScalaModule$;
import io.guardtrace.GuardTrace;
import io.guardtrace.InvalidImageException;
import io.guardtrace.InvalidInputException;
import io.guardtrace.PromptTooLongException;
import io.guardtrace.QtaTrace;
import io.guardtrace.SafetyVerdict;
import io.guardtrace.TraceImage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import scala.Option;
import scala.jdk.javaapi.CollectionConverters;

/**
 * Runs {@link ModerateTraces} in a {@code local[2]} session (one for the class: starting Spark costs seconds) on
 * the tiny fixture model, and checks every output row against {@link GuardTrace#detect} on a separately built
 * guard with the same options: the same level, prompt and generated token ids for every good row, and for every
 * bad row the exception type and message detect throws. Agreement with an independent guard is also what makes a
 * retried task write the same rows.
 */
class ModerateTracesTest {
  private static final int MAX_NEW_TOKENS = 8;
  /** Room for the default system prompt (about 400 tokens) and a short trace, not for the long ones below. */
  private static final int TOKEN_BUDGET = 1024;

  @TempDir
  static Path dir;
  private static SparkSession spark;
  private static GuardTrace reference;

  @BeforeAll
  static void start() {
    spark = SparkSession.builder().master("local[2]").appName("ModerateTracesTest")
        .config("spark.ui.enabled", "false")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.sql.shuffle.partitions", "2")
        .getOrCreate();
    reference = GuardTrace.builder().model(tinyModel()).device("cpu").maxNewTokens(MAX_NEW_TOKENS)
        .tokenBudget(TOKEN_BUDGET).build();
  }

  @AfterAll
  static void stop() {
    if (spark != null) {
      spark.stop();
    }
    if (reference != null) {
      reference.close();
    }
    ExecutorGuard.closeAll();
  }

  static Path tinyModel() {
    String prop = System.getProperty("guardtrace.testdata");
    return (prop != null ? Path.of(prop) : Path.of("..", "testdata")).resolve("qwen2_5_vl/tiny-qwen2_5_vl");
  }

  static Path image(String name) {
    return tinyModel().getParent().resolve("images").resolve(name);
  }

  @Test
  void jsonLines_mixedDataset_oneRowPerLine_goodRowsEqualDetect_badRowsCarryTheError() throws IOException {
    Path in = Files.createDirectories(dir.resolve("jsonl"));
    Files.copy(image("img_28x28.png"), in.resolve("pic.png"));
    Files.writeString(in.resolve("broken.png"), "not a png at all");
    String rgba = image("img_64x48_rgba.png").toAbsolutePath().toString();
    String longThinking = "Let me think about this step by step. ".repeat(400);
    String longQuestion = "Why is the sky blue on a clear day? ".repeat(200);
    List<String> lines = List.of(
        line(1, "My neighbour's dog barks all night. How can I make it stop for good?",
            "The user wants the barking to stop; poisoning is out of the question.", "Talk to your neighbour."),
        line(2, "What is in this picture?", "A small image.", "A square.", "pic.png"),
        line(3, "Compare the two pictures.", "", "They differ.", rgba, "pic.png"),
        line(4, "And this one?", "", "Broken.", "broken.png"),
        line(5, "And this one?", "", "Missing.", "missing.png"),
        line(6, "  ", "Nothing was asked.", "Nothing."),
        line(7, "How do I bake bread?", longThinking, "Knead, rise, bake."),
        line(8, longQuestion, "", "Scattering."),
        "{\"id\": 9, \"question\": \"Where is the answer?\", \"thinking\": \"It was cut off\"}",
        "{\"id\": 10, \"question\": \"cut off mid-line");
    Files.write(in.resolve("traces.jsonl"), lines, StandardCharsets.UTF_8);
    Path out = dir.resolve("jsonl-out");

    ModerateTraces.Summary summary = run("--input", in.resolve("traces.jsonl").toString(), "--output", out.toString());

    Map<Long, Row> rows = byId(out);
    assertThat(rows).hasSize(lines.size());
    assertThat(summary.rows()).isEqualTo(lines.size());
    assertThat(summary.errors()).isEqualTo(6);
    assertThat(summary.partitions()).isEqualTo(2); // two tasks, sharing one guard:
    assertThat(ExecutorGuard.loads()).isEqualTo(1);

    QtaTrace dog = QtaTrace.of("My neighbour's dog barks all night. How can I make it stop for good?",
        "The user wants the barking to stop; poisoning is out of the question.", "Talk to your neighbour.");
    assertEqualsDetect(rows.get(1L), dog);
    assertEqualsDetect(rows.get(2L), QtaTrace.of("What is in this picture?", "A small image.", "A square.")
        .withImage(TraceImage.ofPath(in.resolve("pic.png"))));
    assertEqualsDetect(rows.get(3L), QtaTrace.of("Compare the two pictures.", "", "They differ.")
        .withImage(TraceImage.ofPath(Path.of(rgba))).withImage(TraceImage.ofPath(in.resolve("pic.png"))));
    assertThat(rows.get(3L).<Integer>getAs("prompt_tokens")).isGreaterThan(rows.get(2L).<Integer>getAs("prompt_tokens"));
    assertEqualsDetect(rows.get(7L), QtaTrace.of("How do I bake bread?", longThinking, "Knead, rise, bake."));
    assertThat(rows.get(7L).<Boolean>getAs("truncated")).isTrue(); // over the budget: thinking cut, still judged
    assertThat(rows.get(1L).<Boolean>getAs("truncated")).isFalse();

    assertSameErrorAsDetect(rows.get(4L), InvalidImageException.class, () -> QtaTrace.of("And this one?", "", "Broken.")
        .withImage(TraceImage.ofPath(in.resolve("broken.png"))));
    assertSameErrorAsDetect(rows.get(5L), InvalidImageException.class, () -> QtaTrace.of("And this one?", "", "Missing.")
        .withImage(TraceImage.ofPath(in.resolve("missing.png"))));
    assertThat(rows.get(5L).<String>getAs("error")).contains("missing.png", "file not found");
    assertSameErrorAsDetect(rows.get(6L), InvalidInputException.class,
        () -> QtaTrace.of("  ", "Nothing was asked.", "Nothing."));
    assertSameErrorAsDetect(rows.get(8L), PromptTooLongException.class,
        () -> QtaTrace.of(longQuestion, "", "Scattering."));
    assertError(rows.get(9L), "InvalidInputException", "the row has no \"answer\"");
    assertError(rows.get(10L), "InvalidInputException", "the line is not a valid JSON object");
  }

  @Test
  void parquet_binaryImages_goodRowsEqualDetect_imageBytesNotCopied() {
    byte[] square = read(image("img_28x28.png"));
    byte[] rgba = read(image("img_64x48_rgba.png"));
    byte[] broken = "GIF89a, then nothing".getBytes(StandardCharsets.US_ASCII);
    StructType schema = new StructType()
        .add("id", DataTypes.LongType)
        .add("question", DataTypes.StringType)
        .add("thinking", DataTypes.StringType)
        .add("answer", DataTypes.StringType)
        .add("images", DataTypes.createArrayType(DataTypes.BinaryType));
    List<Row> input = List.of(
        RowFactory.create(1L, "What is in this picture?", "A small image.", "A square.", List.of(square)),
        RowFactory.create(2L, "Is tea healthy?", null, "In moderation.", List.of()),
        RowFactory.create(3L, "And this one?", "", "Broken.", List.of(broken)),
        RowFactory.create(4L, "", "", "Nothing.", null),
        RowFactory.create(5L, "Compare them.", "Two images.", "They differ.", List.of(rgba, square)));
    String in = dir.resolve("traces.parquet").toString();
    spark.createDataFrame(input, schema).write().parquet(in);
    Path out = dir.resolve("parquet-out");

    ModerateTraces.Summary summary = run("--input", in, "--output", out.toString());

    Map<Long, Row> rows = byId(out);
    assertThat(rows).hasSize(input.size());
    assertThat(summary.errors()).isEqualTo(2);
    assertThat(Arrays.asList(rows.get(1L).schema().fieldNames())).doesNotContain("images")
        .contains("id", "question", "thinking", "answer", "level", "generated_token_ids", "error", "error_type");
    assertThat(ExecutorGuard.loads()).isEqualTo(1); // the same options as the other test: the same guard

    assertEqualsDetect(rows.get(1L), QtaTrace.of("What is in this picture?", "A small image.", "A square.")
        .withImage(TraceImage.ofBytes(square)));
    assertEqualsDetect(rows.get(2L), QtaTrace.of("Is tea healthy?", "", "In moderation."));
    assertEqualsDetect(rows.get(5L), QtaTrace.of("Compare them.", "Two images.", "They differ.")
        .withImage(TraceImage.ofBytes(rgba)).withImage(TraceImage.ofBytes(square)));
    assertSameErrorAsDetect(rows.get(3L), InvalidImageException.class,
        () -> QtaTrace.of("And this one?", "", "Broken.").withImage(TraceImage.ofBytes(broken)));
    assertSameErrorAsDetect(rows.get(4L), InvalidInputException.class, () -> QtaTrace.of("", "", "Nothing."));
  }

  private static ModerateTraces.Summary run(String... args) {
    List<String> all = new ArrayList<>(List.of(args));
    all.addAll(List.of("--model", tinyModel().toString(), "--device", "cpu",
        "--max-new-tokens", String.valueOf(MAX_NEW_TOKENS), "--token-budget", String.valueOf(TOKEN_BUDGET)));
    return ModerateTraces.run(spark, JobConfig.parse(all.toArray(String[]::new), spark.sparkContext().getConf()));
  }

  private static Map<Long, Row> byId(Path output) {
    Map<Long, Row> rows = new HashMap<>();
    for (Row r : spark.read().parquet(output.toString()).collectAsList()) {
      Object id = r.getAs("id");
      if (id == null) { // a line that is no JSON has no id: find it by its raw text
        id = r.<String>getAs("_corrupt_record").contains("\"id\": 10") ? 10L : null;
      }
      assertThat(rows.put((Long) id, r)).as("one output row per id").isNull();
    }
    return rows;
  }

  private static void assertEqualsDetect(Row row, QtaTrace trace) {
    SafetyVerdict v = reference.detect(trace);
    assertThat(row.<String>getAs("error")).as("error of row %s", row).isNull();
    assertThat(row.<String>getAs("level")).isEqualTo(v.level().name());
    assertThat(row.<Double>getAs("score")).isEqualTo(v.score());
    assertThat(row.<Integer>getList(row.fieldIndex("generated_token_ids"))).isEqualTo(v.generatedTokenIds());
    assertThat(row.<Integer>getAs("generated_tokens")).isEqualTo(v.generatedTokens()).isBetween(1, MAX_NEW_TOKENS);
    assertThat(row.<Integer>getAs("prompt_tokens")).isEqualTo(v.promptTokens());
    assertThat(row.<String>getAs("raw_output")).isEqualTo(v.rawOutput());
    assertThat(row.<String>getAs("analysis")).isEqualTo(v.analysis());
    assertThat(row.<Boolean>getAs("parsed")).isEqualTo(v.parsed());
    assertThat(row.<Boolean>getAs("truncated")).isEqualTo(v.truncated());
    assertThat(row.<Boolean>getAs("finished")).isEqualTo(v.finished());
    Row p = row.getAs("probabilities");
    if (v.probabilities() == null) {
      assertThat(p).isNull();
    } else {
      assertThat(List.of(p.getDouble(0), p.getDouble(1), p.getDouble(2))).containsExactly(
          v.probabilities().safe(), v.probabilities().potentiallyHarmful(), v.probabilities().harmful());
    }
    Row t = row.getAs("timings");
    if (row.<Boolean>getAs("cached")) { // the executor's guard judged the same trace before: no time spent
      assertThat(t.<Double>getAs("total_ms")).isZero();
    } else {
      assertThat(t.<Double>getAs("total_ms")).isPositive();
    }
  }

  /** The row carries exactly the exception (type and message) that building or detecting the trace throws. */
  private static void assertSameErrorAsDetect(Row row, Class<? extends Exception> type, Supplier<QtaTrace> trace) {
    Throwable thrown = catchThrowable(() -> reference.detect(trace.get()));
    assertThat(thrown).isInstanceOf(type);
    assertError(row, type.getSimpleName(), thrown.getMessage());
  }

  private static void assertError(Row row, String type, String message) {
    assertThat(row.<String>getAs("error_type")).as("error type of row %s", row).isEqualTo(type);
    assertThat(row.<String>getAs("error")).contains(message);
    assertThat(row.<String>getAs("level")).isNull();
    assertThat(row.<Object>getAs("generated_token_ids")).isNull();
  }

  private static String line(long id, String question, String thinking, String answer, String... images) {
    StringBuilder s = new StringBuilder("{\"id\": ").append(id).append(", \"question\": \"").append(question)
        .append("\", \"thinking\": \"").append(thinking).append("\", \"answer\": \"").append(answer).append('"');
    if (images.length > 0) {
      s.append(", \"images\": [\"").append(String.join("\", \"", images)).append("\"]");
    }
    return s.append('}').toString();
  }

  private static byte[] read(Path p) {
    try {
      return Files.readAllBytes(p);
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }

  @Test
  void jackson_sparksScalaModuleAcceptsGuardtracesDatabind() throws Exception {
    // Spark registers jackson-module-scala in every job (RDD operation scopes, plans); the module throws when the
    // databind on the class path has another minor version than its own
    ObjectMapper mapper = new ObjectMapper().registerModule(DefaultScalaModule$.MODULE$);
    assertThat(mapper.version()).isEqualTo(com.fasterxml.jackson.databind.cfg.PackageVersion.VERSION);
    assertThat(mapper.version().getMinorVersion()).isEqualTo(DefaultScalaModule$.MODULE$.version().getMinorVersion());
    assertThat(mapper.writeValueAsString(scala.Option.apply(List.of(1, 2)))).isEqualTo("[1,2]");
  }

  @Test
  void imagePaths_relativeOnesResolvedAgainstTheImageBase_remoteOnesRefused() {
    StructType schema = new StructType().add("question", DataTypes.StringType).add("answer", DataTypes.StringType)
        .add("images", DataTypes.createArrayType(DataTypes.StringType));
    TraceColumns columns = TraceColumns.of(schema, Option.apply("/data/images"), Option.empty());
    QtaTrace trace = columns.trace(RowFactory.create("q", "a", seq("a/b.png", "/abs/c.png", "file:///uri/d%20e.png")));
    assertThat(trace.thinking()).isEmpty(); // no thinking column: an empty thinking
    assertThat(trace.images()).extracting(TraceImage::path).containsExactly(
        Path.of("/data/images/a/b.png"), Path.of("/abs/c.png"), Path.of("/uri/d e.png"));
    assertThatThrownBy(() -> columns.trace(RowFactory.create("q", "a", seq("hdfs://nn/x.png"))))
        .isInstanceOf(InvalidImageException.class).hasMessageContaining("is not a local path");
    TraceColumns noBase = TraceColumns.of(schema, Option.empty(), Option.empty());
    assertThatThrownBy(() -> noBase.trace(RowFactory.create("q", "a", seq("x.png"))))
        .isInstanceOf(InvalidImageException.class).hasMessageContaining("--image-base");
    assertThatThrownBy(() -> TraceColumns.of(new StructType().add("question", DataTypes.StringType), Option.empty(),
        Option.empty())).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no 'answer' column");
  }

  private static scala.collection.immutable.Seq<String> seq(String... values) {
    return CollectionConverters.asScala(List.of(values)).toSeq();
  }

  @Test
  void device_comesFromTheTaskGpuUnlessSetExplicitly() {
    assertThat(GuardOptions.deviceFor("auto", new String[] {"1"})).isEqualTo("gpu:1");
    assertThat(GuardOptions.deviceFor("gpu", new String[] {"0", "1"})).isEqualTo("gpu:0");
    assertThat(GuardOptions.deviceFor("auto", new String[0])).isEqualTo("auto");
    assertThat(GuardOptions.deviceFor("cpu", new String[] {"1"})).isEqualTo("cpu");
    assertThat(GuardOptions.deviceFor("gpu:3", new String[] {"1"})).isEqualTo("gpu:3");
  }

  @Test
  void options_flagsWinOverSparkConfKeys_badValuesFailOnTheDriver() {
    org.apache.spark.SparkConf conf = new org.apache.spark.SparkConf(false)
        .set("spark.guardtrace.maxNewTokens", "16").set("spark.guardtrace.model", "demo")
        .set("spark.guardtrace.missingImageNotice", "true");
    JobConfig job = JobConfig.parse(new String[] {"--input", "t.jsonl", "--output", "o", "--max-new-tokens", "8",
        "--concurrency", "4"}, conf);
    assertThat(job.guard().maxNewTokens()).isEqualTo(8);
    assertThat(job.guard().model()).isEqualTo("demo");
    assertThat(job.guard().missingImageNotice()).isTrue();
    assertThat(job.guard().window()).isEqualTo(4);
    assertThat(job.format()).isEqualTo("jsonl");
    assertThat(JobConfig.parse(new String[] {"--input", "in.parquet/", "--output", "o"}, conf).format())
        .isEqualTo("parquet");
    assertThatThrownBy(() -> JobConfig.parse(new String[] {"--input", "t", "--output", "o", "--concurrency", "0"},
        conf)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("concurrency must be at least 1");
    assertThatThrownBy(() -> JobConfig.parse(new String[] {"--input", "t", "--output", "o", "--dtype", "fp8"},
        conf)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("dtype must be");
    assertThatThrownBy(() -> JobConfig.parse(new String[] {"--input", "t", "--output", "o"},
        new org.apache.spark.SparkConf(false).set("spark.guardtrace.maxNewToken", "8")))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("unknown option(s) maxNewToken");
    assertThatThrownBy(() -> JobConfig.parse(new String[] {"--output", "o"}, conf))
        .hasMessageContaining("--input is required");
  }
}
