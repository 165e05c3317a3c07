package io.guardtrace.examples.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The guardtrace command: output formats, exit codes, messages. */
class CliTest {
  record Run(int code, String out, String err) {}

  static Run run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = GuardTraceCli.run(args, new PrintWriter(out), new PrintWriter(err));
    return new Run(code, out.toString(), err.toString());
  }

  static Path root() {
    String prop = System.getProperty("guardtrace.testdata");
    return (prop != null ? Path.of(prop) : Path.of("..", "testdata")).resolve("qwen2_5_vl");
  }

  static String tiny() {
    return root().resolve("tiny-qwen2_5_vl").toString();
  }

  static Path trace(Path dir, String json) throws Exception {
    Path f = dir.resolve("t" + System.nanoTime() + ".json");
    Files.writeString(f, json);
    return f;
  }

  @Test
  void detect_json_hasEveryField_andImagePathRelativeToFile(@TempDir Path dir) throws Exception {
    Files.copy(root().resolve("images/img_100x37.png"), dir.resolve("pic.png"));
    Path t = trace(dir, "{\"question\": \"What is this?\", \"thinking\": \"Looks fine.\", \"answer\": \"A picture.\","
        + " \"images\": [\"pic.png\"]}");
    Run r = run("detect", "--model", tiny(), "--device", "cpu", "--max-new-tokens", "3", "--format", "json",
        t.toString());
    assertThat(r.code()).as(r.err()).isZero();
    JsonNode o = VerdictJson.JSON.readTree(r.out().strip());
    for (String k : new String[] {"level", "score", "parsed", "analysis", "rawOutput", "generatedTokenIds",
        "promptTokens", "probabilities", "timingsMs"}) {
      assertThat(o.has(k)).as(k).isTrue();
    }
    assertThat(o.get("level").asText()).isEqualTo("HARMFUL");
    assertThat(o.get("parsed").asBoolean()).isFalse();
    assertThat(o.get("generatedTokenIds")).hasSize(3);
    assertThat(o.get("promptTokens").asInt()).isGreaterThan(4);
  }

  @Test
  void bench_json_reportsDecodeAgainstTheMeasuredBandwidthFloor() throws Exception {
    Run r = run("bench", "--model", tiny(), "--device", "cpu", "--dtype", "float32", "--prompt-tokens", "64",
        "--new-tokens", "3", "--runs", "1", "--warmup", "0", "--format", "json");
    assertThat(r.code()).as(r.err()).isZero();
    JsonNode o = VerdictJson.JSON.readTree(r.out().strip());
    // a decode step reads every language-model weight once, the tied head included (the embedding's size)
    long elements = 0;
    try (io.guardtrace.models.weights.WeightStore store =
        io.guardtrace.models.weights.WeightStore.open(Path.of(tiny()))) {
      for (String name : store.names()) {
        if (!name.contains("visual.")) {
          elements += store.info(name).elementCount();
        }
      }
    }
    assertThat(o.get("decodeWeightBytes").asLong()).isEqualTo(elements * 4);
    double bandwidth = o.get("memoryBandwidthGBs").asDouble();
    assertThat(bandwidth).isPositive();
    double floor = o.get("decodeFloorMs").asDouble();
    assertThat(floor).isCloseTo(elements * 4 / (bandwidth * 1e6), org.assertj.core.data.Offset.offset(0.01));
    assertThat(o.get("decodeVsFloor").asDouble()).isCloseTo(o.get("decodeMsPerTokenMedian").asDouble() / floor,
        org.assertj.core.data.Percentage.withPercentage(2));
  }

  @Test
  void bench_concurrency_runsTheRequestsTogether_andReportsTheirSharedSteps() throws Exception {
    int requests = 3;
    int newTokens = 6;
    Run r = run("bench", "--model", tiny(), "--device", "cpu", "--dtype", "bfloat16", "--prompt-tokens", "64",
        "--new-tokens", String.valueOf(newTokens), "--runs", "1", "--warmup", "0", "--concurrency",
        String.valueOf(requests), "--format", "json");
    assertThat(r.code()).as(r.err()).isZero();
    JsonNode o = VerdictJson.JSON.readTree(r.out().strip());
    assertThat(o.get("concurrency").asInt()).isEqualTo(requests);
    // every request printed its own step times: one line per request and run
    assertThat(r.err().lines().filter(l -> l.startsWith("run 0:"))).hasSize(requests);
    assertThat(o.get("generatedTokensPerSec").asDouble())
        .isCloseTo(requests * newTokens / (o.get("endToEndMs").asDouble() / 1000),
            org.assertj.core.data.Percentage.withPercentage(2));
    if (o.get("decodeBatchSize").asInt() > 1) {
      // this machine batches bf16 decode steps: the three requests' steps were shared
      assertThat(o.get("sharedDecodeSteps").asLong()).isPositive();
      assertThat(o.get("meanSharedBatch").asDouble()).isBetween(2.0, (double) requests);
    } else {
      assertThat(o.get("sharedDecodeSteps").asLong()).isZero();
    }
    assertThat(run("bench", "--model", tiny(), "--concurrency", "0").code()).isEqualTo(2);
  }

  @Test
  void detect_text_printsLevel(@TempDir Path dir) throws Exception {
    Run r = run("detect", "--model", tiny(), "--device", "cpu", "--max-new-tokens", "2",
        trace(dir, "{\"question\": \"q\", \"thinking\": \"t\", \"answer\": \"a\"}").toString());
    assertThat(r.code()).isZero();
    assertThat(r.out()).contains("HARMFUL").contains("failed closed");
  }

  @Test
  void missingTraceFile_isBadInput() {
    Run r = run("detect", "--model", tiny(), "no-such-trace.json");
    assertThat(r.code()).isEqualTo(3);
    assertThat(r.err()).contains("no-such-trace.json").doesNotContain("\tat ");
  }

  @Test
  void malformedTrace_isBadInput(@TempDir Path dir) throws Exception {
    assertThat(run("detect", "--model", tiny(), trace(dir, "{not json").toString()).code()).isEqualTo(3);
    assertThat(run("detect", "--model", tiny(), trace(dir, "{\"thinking\": \"t\"}").toString()).err())
        .contains("\"question\"");
  }

  @Test
  void corruptImage_isBadInput_namingTheImage(@TempDir Path dir) throws Exception {
    Files.write(dir.resolve("broken.png"), new byte[] {(byte) 0x89, 'P', 'N', 'G', 1, 2, 3});
    Run r = run("detect", "--model", tiny(), "--device", "cpu",
        trace(dir, "{\"question\": \"q\", \"thinking\": \"\", \"answer\": \"a\", \"images\": [\"broken.png\"]}")
            .toString());
    assertThat(r.code()).isEqualTo(3);
    assertThat(r.err()).contains("broken.png");
  }

  @Test
  void missingModel_isModelProblem(@TempDir Path dir) throws Exception {
    Run r = run("detect", "--model", dir.resolve("nothing").toString(),
        trace(dir, "{\"question\": \"q\", \"thinking\": \"\", \"answer\": \"a\"}").toString());
    assertThat(r.code()).isEqualTo(4);
    assertThat(r.err()).startsWith("guardtrace: ").doesNotContain("\tat ");
  }

  /**
   * A model whose config.json holds an absurd value is a model problem (exit 4) named at load, not a
   * division by zero on the first image blamed on the input (exit 3) or a crash (issue 16, item 6).
   */
  @Test
  void absurdModelConfig_isModelProblem_namingTheField(@TempDir Path dir) throws Exception {
    Files.copy(root().resolve("images/img_100x37.png"), dir.resolve("pic.png"));
    Path t = trace(dir, "{\"question\": \"q\", \"thinking\": \"t\", \"answer\": \"a\", \"images\": [\"pic.png\"]}");
    String[][] cases = {{"vision_config", "window_size", "0"}, {"", "num_hidden_layers", "-1"}};
    for (String[] c : cases) {
      Path model = Files.createDirectory(dir.resolve("model-" + c[1]));
      try (var files = Files.list(Path.of(tiny()))) {
        for (Path f : (Iterable<Path>) files::iterator) {
          Files.copy(f, model.resolve(f.getFileName().toString()));
        }
      }
      var config = (com.fasterxml.jackson.databind.node.ObjectNode) VerdictJson.JSON.readTree(
          Files.readString(model.resolve("config.json")));
      var target = c[0].isEmpty() ? config : (com.fasterxml.jackson.databind.node.ObjectNode) config.get(c[0]);
      target.put(c[1], Integer.parseInt(c[2]));
      Files.writeString(model.resolve("config.json"), config.toString());
      Run r = run("detect", "--model", model.toString(), "--device", "cpu", "--max-new-tokens", "2", t.toString());
      assertThat(r.code()).as(r.err()).isEqualTo(4);
      assertThat(r.err()).contains("config.json").contains(c[1]).doesNotContain("\tat ");
    }
  }

  @Test
  void verbose_addsStackTrace() {
    Run r = run("detect", "--verbose", "--model", tiny(), "no-such-trace.json");
    assertThat(r.err()).contains("\tat ");
  }

  @Test
  void unknownOption_isUsageError() {
    assertThat(run("detect", "--frobnicate", "x.json").code()).isEqualTo(2);
    assertThat(run("no-such-command").code()).isEqualTo(2);
  }

  @Test
  void inspectImage_matchesReferenceGeometryAndChecksum() throws Exception {
    Run r = run("inspect-image", "--max-pixels", "200704", root().resolve("images/img_1000x250.png").toString());
    assertThat(r.code()).as(r.err()).isZero();
    JsonNode o = VerdictJson.JSON.readTree(r.out().strip());
    assertThat(o.get("resizedWidth").asInt()).isEqualTo(896);
    assertThat(o.get("resizedHeight").asInt()).isEqualTo(224);
    assertThat(o.get("tokens").asInt()).isEqualTo(256);
    JsonNode meta = VerdictJson.JSON.readTree(root().resolve("imgproc/imgproc_meta.json").toFile());
    assertThat(o.get("pixelSum").asDouble())
        .isCloseTo(meta.get("img_1000x250__max200704").get("pixel_values_sum").asDouble(), org.assertj.core.data.Offset.offset(1e-6));
  }

  @Test
  void eval_onTheTinyModel_scoresPerSource_resumes_andRescoresWithoutJudgingAgain(@TempDir Path dir)
      throws Exception {
    Files.createDirectory(dir.resolve("images"));
    Files.copy(root().resolve("images/img_28x28.png"), dir.resolve("images/mmsafety_1.png"));
    Path data = dir.resolve("MMBench_2.json");
    Files.writeString(data, "[{\"image_name\": \"mmsafety_1.png\", \"question\": \"q1\", \"thinking\": \"t\","
        + " \"response\": \"r\", \"evaluation_result\": 1},"
        + " {\"image_name\": \"\", \"question\": \"q2\", \"thinking\": \"t\", \"response\": \"r\", \"evaluation_result\": 0}]");
    Run first = run("eval", "--model", tiny(), "--device", "cpu", "--max-new-tokens", "2", data.toString());
    assertThat(first.code()).as(first.err()).isZero();
    Path preds = dir.resolve("MMBench_2.json.predictions.jsonl");
    List<JsonNode> rows = new java.util.ArrayList<>();
    for (String line : Files.readAllLines(preds)) {
      rows.add(VerdictJson.JSON.readTree(line));
    }
    assertThat(rows).hasSize(2);
    rows.sort(java.util.Comparator.comparingInt(n -> n.get("index").asInt()));
    assertThat(rows.get(0).get("image").asText()).isEqualTo("loaded");
    assertThat(rows.get(1).get("image").asText()).isEqualTo("none");
    // two tokens hold no judgment: counted apart, scored as safe by default
    assertThat(rows).allSatisfy(r -> {
      assertThat(r.get("parsed").asBoolean()).isFalse();
      assertThat(r.get("judgment").isNull()).isTrue();
      assertThat(r.get("generated_tokens").asInt()).isEqualTo(2);
    });
    assertThat(first.out()).containsPattern("MM-Eval\\s+2\\s+0\\s+2\\s+0\\s+0\\s+50\\.00\\s+0\\.00\\s+0\\.00\\s+0\\.00\\s+91\\.31");
    assertThat(first.err()).contains("eval: 2/2 items (100.0%)");

    // resumes without judging; scoring the unparsed outputs as harmful (fail-closed) is a rescoring only
    Run again = run("eval", "--model", tiny(), "--device", "cpu", "--max-new-tokens", "2", "--unparsed-as",
        "harmful", data.toString());
    assertThat(again.code()).as(again.err()).isZero();
    assertThat(again.err()).contains("resuming: 2 of 2").doesNotContain("eval: 1/");
    assertThat(Files.readAllLines(preds)).hasSize(2);
    assertThat(again.out()).containsPattern("ALL\\s+2\\s+0\\s+2\\s+0\\s+0\\s+50\\.00\\s+50\\.00\\s+100\\.00\\s+66\\.67");

    // other settings (here the generation limit) make other predictions: the earlier rows are not reused
    Run other = run("eval", "--model", tiny(), "--device", "cpu", "--max-new-tokens", "3", data.toString());
    assertThat(other.code()).as(other.err()).isZero();
    assertThat(other.err()).contains("ignoring the predictions of 2 items");
    assertThat(Files.readAllLines(preds)).hasSize(4);
  }

  @Test
  void eval_badDatasets_areBadInput_beforeAnyModelLoads(@TempDir Path dir) throws Exception {
    Path labels = dir.resolve("S-Eval_1.json");
    Files.writeString(labels, "[{\"question\": \"q\", \"evaluation_result\": \"unsafe\"}]");
    Run bad = run("eval", "--model", dir.resolve("no-model").toString(), labels.toString());
    assertThat(bad.code()).isEqualTo(3);
    assertThat(bad.err()).contains("item 0: evaluation_result must be 0, 0.5 or 1");
    Path noImages = dir.resolve("HADES_1.json");
    Files.writeString(noImages, "[{\"image_name\": \"h.png\", \"question\": \"q\", \"evaluation_result\": 1}]");
    Run missingDir = run("eval", "--model", dir.resolve("no-model").toString(), noImages.toString());
    assertThat(missingDir.code()).isEqualTo(3);
    assertThat(missingDir.err()).contains("images directory").contains("pass --images DIR");
    assertThat(run("eval", "--concurrency", "0", noImages.toString()).code()).isEqualTo(2);
    assertThat(run("eval", "--unparsed-as", "maybe", noImages.toString()).code()).isEqualTo(2);
    assertThat(run("eval", "--missing-image-notice", noImages.toString()).code()).isEqualTo(2);
    assertThat(run("eval", "--predictions", "p.jsonl", noImages.toString(), labels.toString()).code()).isEqualTo(2);
    assertThat(run("eval", noImages.toString(), noImages.toString()).err()).contains("given twice");
  }

  @Test
  void eval_help_showsTheReferenceGenerationLimit_whileDetectKeepsItsOwn() {
    assertThat(run("eval", "--help").out()).containsPattern("--max-new-tokens=N\\s+Generation limit\\. Default: 2000");
    assertThat(run("detect", "--help").out()).containsPattern("--max-new-tokens=N\\s+Generation limit\\. Default: 1024");
  }
}
