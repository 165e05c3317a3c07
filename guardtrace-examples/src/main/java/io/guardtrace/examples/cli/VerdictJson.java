package io.guardtrace.examples.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.guardtrace.Probabilities;
import io.guardtrace.SafetyVerdict;

/** A verdict as the JSON object {@code detect --format json} prints. */
final class VerdictJson {
  static final ObjectMapper JSON = new ObjectMapper();

  private VerdictJson() {}

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
