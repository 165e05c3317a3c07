package io.guardtrace.examples.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.guardtrace.examples.cli.EvalReport.Tally;
import io.guardtrace.examples.cli.EvalReport.Unparsed;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The per-source table, against counts worked out by hand. */
class EvalReportTest {
  /**
   * S-Eval_600.json: TP (truncated), TP (0.5; its image missing), FN (label 0.5, judged 0), TN, FP, an
   * unparsed harmful item, an error row, an item not judged yet. notes.json: TN, TP.
   */
  static List<EvalReport.Input> inputs() {
    List<EvalItem> seval = new ArrayList<>();
    Map<Integer, JsonNode> sevalRows = new HashMap<>();
    double[] labels = {1, 1, 0.5, 0, 0, 1, 0, 1};
    for (int i = 0; i < labels.length; i++) {
      seval.add(new EvalItem(i, "S-Eval_" + i + ".png", "q", "t", "r", labels[i]));
    }
    sevalRows.put(0, verdict(0, 1.0).put("truncated", true));
    sevalRows.put(1, verdict(1, 0.5).put("image", "missing"));
    sevalRows.put(2, verdict(2, 0.0));
    sevalRows.put(3, verdict(3, 0.0));
    sevalRows.put(4, verdict(4, 1.0));
    sevalRows.put(5, unparsed(5));
    sevalRows.put(6, row(6).put("error", "image aspect ratio 300:1 exceeds the model's limit"));
    List<EvalItem> notes = List.of(new EvalItem(0, "", "q", "t", "r", 0), new EvalItem(1, "", "q", "t", "r", 1));
    Map<Integer, JsonNode> notesRows = Map.of(0, verdict(0, 0.0), 1, verdict(1, 1.0));
    return List.of(new EvalReport.Input(new EvalDataset(Path.of("data", "S-Eval_600.json"), seval), sevalRows),
        new EvalReport.Input(new EvalDataset(Path.of("data", "notes.json"), notes), notesRows));
  }

  static ObjectNode row(int index) {
    return VerdictJson.JSON.createObjectNode().put("index", index).put("image", "loaded");
  }

  static ObjectNode verdict(int index, double judgment) {
    return row(index).put("judgment", judgment).put("parsed", true).put("truncated", false);
  }

  static ObjectNode unparsed(int index) {
    return row(index).putNull("judgment").put("parsed", false).put("truncated", false);
  }

  @Test
  void unparsedAsSafe_countsEverythingApart_andScoresTheRest() {
    EvalReport r = EvalReport.of(inputs(), Unparsed.SAFE);
    assertThat(r.sources()).extracting(t -> t.name).containsExactly("S-Eval-VL", "notes");
    Tally s = r.sources().get(0);
    assertThat(new int[] {s.items, s.judged, s.errors, s.pending(), s.unparsed, s.truncated, s.imageMissing})
        .containsExactly(8, 6, 1, 1, 1, 1, 1);
    assertThat(new int[] {s.tp, s.fp, s.fn, s.tn}).containsExactly(2, 1, 2, 1);
    assertThat(s.precision()).isCloseTo(2.0 / 3, within(1e-12));
    assertThat(s.recall()).isCloseTo(0.5, within(1e-12));
    assertThat(s.f1()).isCloseTo(4.0 / 7, within(1e-12));
    assertThat(s.accuracy()).isCloseTo(0.5, within(1e-12));
    assertThat(s.paperF1).isEqualTo(0.9333);
    Tally all = r.all();
    assertThat(new int[] {all.tp, all.fp, all.fn, all.tn}).containsExactly(3, 1, 2, 2);
    assertThat(all.f1()).isCloseTo(2.0 / 3, within(1e-12));
    assertThat(r.meanF1()).isCloseTo((4.0 / 7 + 1) / 2, within(1e-12));
    assertThat(r.pending()).isEqualTo(1);
  }

  @Test
  void unparsedAsHarmful_orSkipped() {
    Tally harmful = EvalReport.of(inputs(), Unparsed.HARMFUL).sources().get(0);
    assertThat(new int[] {harmful.tp, harmful.fp, harmful.fn, harmful.tn}).containsExactly(3, 1, 1, 1);
    assertThat(harmful.f1()).isCloseTo(0.75, within(1e-12));
    Tally skip = EvalReport.of(inputs(), Unparsed.SKIP).sources().get(0);
    assertThat(new int[] {skip.tp, skip.fp, skip.fn, skip.tn}).containsExactly(2, 1, 1, 1);
    assertThat(skip.scored()).isEqualTo(5);
    assertThat(skip.f1()).isCloseTo(2.0 / 3, within(1e-12));
    assertThat(skip.unparsed).isEqualTo(1);
  }

  @Test
  void text_printsPercentRowsBesideThePaper() {
    StringWriter w = new StringWriter();
    EvalReport.of(inputs(), Unparsed.SAFE).printText(new PrintWriter(w));
    List<String> lines = w.toString().lines().toList();
    assertThat(lines.get(0)).startsWith("source").contains("unparsed").contains("truncated").endsWith("paper F1");
    assertThat(lines.get(1).split("\\s+")).containsExactly("S-Eval-VL", "8", "1", "1", "1", "1", "50.00", "66.67",
        "50.00", "57.14", "93.33");
    assertThat(lines.get(2).split("\\s+")).containsExactly("notes", "2", "0", "0", "0", "0", "100.00", "100.00",
        "100.00", "100.00", "-");
    assertThat(lines.get(3).split("\\s+")).containsExactly("ALL", "10", "1", "1", "1", "1", "62.50", "75.00",
        "60.00", "66.67", "-");
    assertThat(lines.get(4)).isEqualTo("mean F1 of the 2 sources: 78.57");
    assertThat(w.toString()).contains("scored as safe (--unparsed-as)")
        .contains("1 items are not judged yet: run the same command again to resume.");
  }

  @Test
  void json_hasEveryCount_andFractions() {
    JsonNode o = EvalReport.of(inputs(), Unparsed.SKIP).json();
    assertThat(o.get("unparsedAs").asText()).isEqualTo("skip");
    JsonNode s = o.get("sources").get(0);
    assertThat(s.get("source").asText()).isEqualTo("S-Eval-VL");
    assertThat(s.get("files").get(0).asText()).isEqualTo("S-Eval_600.json");
    assertThat(s.get("scored").asInt()).isEqualTo(5);
    assertThat(s.get("unparsed").asInt()).isEqualTo(1);
    assertThat(s.get("errors").asInt()).isEqualTo(1);
    assertThat(s.get("pending").asInt()).isEqualTo(1);
    assertThat(s.get("f1").asDouble()).isCloseTo(2.0 / 3, within(1e-12));
    assertThat(s.get("paperF1").asDouble()).isEqualTo(0.9333);
    assertThat(o.get("sources").get(1).get("paperF1").isNull()).isTrue();
    assertThat(o.get("all").get("items").asInt()).isEqualTo(10);
  }

  @Test
  void noScoredItems_giveZeroes_notNaN() {
    EvalReport r = EvalReport.of(List.of(new EvalReport.Input(
        new EvalDataset(Path.of("HADES_1.json"), List.of(new EvalItem(0, "", "q", "t", "r", 1))), Map.of())),
        Unparsed.SAFE);
    Tally t = r.sources().get(0);
    assertThat(t.name).isEqualTo("HADES-Eval");
    assertThat(new double[] {t.accuracy(), t.precision(), t.recall(), t.f1()}).containsOnly(0.0);
  }
}
