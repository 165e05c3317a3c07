package io.guardtrace.examples.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.SerializableString;
import com.fasterxml.jackson.core.io.CharacterEscapes;
import com.fasterxml.jackson.core.io.SerializedString;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.UncheckedIOException;
import io.guardtrace.Probabilities;
import io.guardtrace.SafetyVerdict;

/**
 * A verdict as the JSON object {@code detect --format json} prints, and the mapper every command writes JSON
 * with. Jackson escapes C0 controls in strings; this mapper also escapes DEL, the C1 controls and the
 * bidirectional controls ({@link TerminalText#isControl}), so JSON lines printed on a terminal cannot act on it
 * either. The escapes are standard JSON: a parser reads back exactly the original strings.
 */
final class VerdictJson {
  static final ObjectMapper JSON = new ObjectMapper();

  static {
    JSON.getFactory().setCharacterEscapes(new TerminalSafeEscapes());
  }

  private VerdictJson() {}

  /** {@code node} as one line of JSON, escaped by this mapper ({@code JsonNode.toString()} would not be). */
  static String write(JsonNode node) {
    try {
      return JSON.writeValueAsString(node);
    } catch (JsonProcessingException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Jackson's standard escapes plus <code>&#92;uXXXX</code> for every other character a terminal acts on. */
  private static final class TerminalSafeEscapes extends CharacterEscapes {
    private static final long serialVersionUID = 1L;
    private final int[] ascii = standardAsciiEscapesForJSON();

    TerminalSafeEscapes() {
      ascii[0x7f] = ESCAPE_STANDARD;
    }

    @Override
    public int[] getEscapeCodesForAscii() {
      return ascii;
    }

    @Override
    public SerializableString getEscapeSequence(int ch) {
      return TerminalText.isControl(ch) ? new SerializedString(String.format("\\u%04X", ch)) : null;
    }
  }

  static ObjectNode of(SafetyVerdict v) {
    ObjectNode o = JSON.createObjectNode();
    o.put("level", v.level().name());
    o.put("score", v.score());
    o.put("parsed", v.parsed());
    o.put("analysis", v.analysis());
    o.put("rawOutput", v.rawOutput());
    v.generatedTokenIds().forEach(o.putArray("generatedTokenIds")::add);
    o.put("promptTokens", v.promptTokens());
    o.put("generatedTokens", v.generatedTokens());
    Probabilities p = v.probabilities();
    if (p == null) {
      o.putNull("probabilities");
    } else {
      ObjectNode po = o.putObject("probabilities");
      po.put("SAFE", p.safe());
      po.put("POTENTIALLY_HARMFUL", p.potentiallyHarmful());
      po.put("HARMFUL", p.harmful());
    }
    ObjectNode t = o.putObject("timingsMs");
    t.put("preprocess", v.timings().preprocess().toNanos() / 1e6);
    t.put("vision", v.timings().vision().toNanos() / 1e6);
    t.put("prefill", v.timings().prefill().toNanos() / 1e6);
    t.put("decode", v.timings().decode().toNanos() / 1e6);
    t.put("total", v.timings().total().toNanos() / 1e6);
    o.put("cached", v.cached());
    o.put("truncated", v.truncated());
    o.put("finished", v.finished());
    return o;
  }
}
