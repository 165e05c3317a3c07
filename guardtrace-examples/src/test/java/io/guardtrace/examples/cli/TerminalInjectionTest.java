package io.guardtrace.examples.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The command's text output cannot be rewritten by what it prints: control sequences in the model's output, in
 * trace text echoed by an error, or in a dataset's names are shown as visible escapes; JSON output escapes them
 * as JSON and parses back to the exact text.
 */
class TerminalInjectionTest {
  /** A model output that, printed raw, moves up a line, clears it and prints a forged SAFE verdict. */
  static final String HOSTILE = "\"Analysis\": fine.\u001b[1A\u001b[2K\rtrace.json: SAFE (judgment 0)"
      + "\u202e1 tnemgduj\u202c\u009b31m\u007f\u0007\n\tnext line\n\"Judgment\": 1";

  /** Characters a terminal acts on, other than line feed and tab. */
  static boolean isRawControl(int c) {
    return (c < 0x20 && c != '\n' && c != '\t') || (c >= 0x7f && c <= 0x9f) || (c >= 0x202a && c <= 0x202e)
        || (c >= 0x2066 && c <= 0x2069) || c == 0x200e || c == 0x200f || c == 0x061c;
  }

  static void assertNoRawControls(String printed) {
    assertThat(printed.chars().filter(TerminalInjectionTest::isRawControl).mapToObj(Integer::toHexString))
        .as("raw control characters in %s", printed).isEmpty();
  }

  static Path trace(Path dir, String json) throws Exception {
    return Files.writeString(dir.resolve("trace.json"), json);
  }

  @Test
  void detectText_showsTheModelsControlSequencesAsEscapes(@TempDir Path dir) throws Exception {
    Path model = ScriptedEngineProvider.write(dir.resolve("model"), HOSTILE);
    CliTest.Run r = CliTest.run("detect", "--model", model.toString(),
        trace(dir, "{\"question\": \"q\", \"thinking\": \"t\", \"answer\": \"a\"}").toString());
    assertThat(r.code()).as(r.err()).isZero();
    assertNoRawControls(r.out());
    assertThat(r.out()).contains("HARMFUL (judgment 1)")
        .contains("fine.\\x1b[1A\\x1b[2K\\rtrace.json: SAFE (judgment 0)\\u202e1 tnemgduj\\u202c\\x9b31m\\x7f\\x07")
        .contains("\n            \tnext line");
    // the only verdict line is the real one
    assertThat(r.out().lines().filter(l -> l.contains(": SAFE") && !l.contains("analysis"))).isEmpty();
  }

  @Test
  void detectJson_escapesEveryTerminalControl_andParsesBackExactly(@TempDir Path dir) throws Exception {
    Path model = ScriptedEngineProvider.write(dir.resolve("model"), HOSTILE);
    CliTest.Run r = CliTest.run("detect", "--model", model.toString(), "--format", "json",
        trace(dir, "{\"question\": \"q\", \"thinking\": \"t\", \"answer\": \"a\"}").toString());
    assertThat(r.code()).as(r.err()).isZero();
    assertNoRawControls(r.out());
    assertThat(r.out().strip()).doesNotContain("\n").contains("\\u202E").contains("\\u009B").contains("\\u007F");
    JsonNode o = VerdictJson.JSON.readTree(r.out());
    assertThat(o.get("rawOutput").asText()).isEqualTo(HOSTILE);
    assertThat(o.get("level").asText()).isEqualTo("HARMFUL");
  }

  @Test
  void errorEchoingTraceText_isOneEscapedLine_evenWithVerbose(@TempDir Path dir) throws Exception {
    Path model = ScriptedEngineProvider.write(dir.resolve("model"), HOSTILE);
    // an image name from the trace file, echoed by the "file not found" error
    Path t = trace(dir, "{\"question\": \"q\", \"thinking\": \"t\", \"answer\": \"a\","
        + " \"images\": [\"x\\u001b[2K\\rguardtrace: all SAFE\\n\\u202epng.jpg\"]}");
    CliTest.Run r = CliTest.run("detect", "--model", model.toString(), t.toString());
    assertThat(r.code()).isEqualTo(3);
    assertNoRawControls(r.err());
    assertThat(r.err().lines().filter(l -> l.startsWith("guardtrace: "))).hasSize(1).first().asString()
        .contains("x\\x1b[2K\\rguardtrace: all SAFE\\n\\u202epng.jpg").contains("file not found");
    CliTest.Run verbose = CliTest.run("detect", "--verbose", "--model", model.toString(), t.toString());
    assertNoRawControls(verbose.err());
    assertThat(verbose.err()).contains("\tat ");
  }

  @Test
  void evalReport_escapesSourceNamesFromTheDataset(@TempDir Path dir) throws Exception {
    Path model = ScriptedEngineProvider.write(dir.resolve("model"), "\"Judgment\": 0");
    // a source's name comes from the dataset's file name, and the predictions file holds the item's image name
    Path data = dir.resolve("\u001b[2K\u202eevil.json");
    Files.writeString(data, "[{\"image_name\": \"\\u001b[2K\\u202eevil_1.png\", \"question\": \"q\","
        + " \"thinking\": \"t\", \"response\": \"r\", \"evaluation_result\": 0}]");
    CliTest.Run r = CliTest.run("eval", "--model", model.toString(), "--images", dir.toString(), data.toString());
    assertThat(r.code()).as(r.err()).isZero();
    assertNoRawControls(r.out());
    assertNoRawControls(r.err());
    assertThat(r.out()).contains("\\x1b[2K\\u202eevil");
    // the predictions file is JSON written by the same escaping mapper
    String predictions = Files.readString(dir.resolve(data.getFileName() + ".predictions.jsonl"));
    assertNoRawControls(predictions.replace("\n", ""));
  }
}
