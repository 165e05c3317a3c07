package io.guardtrace.models.engine;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.guardtrace.GuardTrace;
import io.guardtrace.QtaTrace;
import io.guardtrace.SafetyVerdict;
import io.guardtrace.TraceImage;
import io.guardtrace.models.Fixtures;
import io.guardtrace.models.config.Json;
import io.guardtrace.models.safetensors.SafetensorsFile;
import org.junit.jupiter.api.Test;

/**
 * The public API end to end on the fixture model: {@code GuardTrace.detect} with the fixture's system prompt and
 * image trace reproduces the reference's greedy ids under generation_config.json's repetition penalty.
 */
class GuardTraceEndToEndTest {

  @Test
  void detect_imageTrace_generatesExactlyTheReferenceIds() {
    JsonNode meta = Json.read(Fixtures.golden("guardtrace_image_f32.json"));
    JsonNode user = meta.get("messages").get(1).get("content");
    String text = user.get(1).get("text").asText();
    // the fixture's user text is the guard's QTA format: split it back into the trace's three fields
    String question = between(text, "Current Task Query: ", "\nCurrent Task Thinking: ");
    String thinking = between(text, "\nCurrent Task Thinking: ", "\nCurrent Task Cleaned Response: ");
    String answer = text.substring(text.indexOf("\nCurrent Task Cleaned Response: ")
        + "\nCurrent Task Cleaned Response: ".length());
    QtaTrace trace = QtaTrace.of(question, thinking, answer)
        .withImage(TraceImage.ofPath(Fixtures.root().resolve(user.get(0).get("image").asText())));
    try (GuardTrace guard = GuardTrace.builder().model(Fixtures.tinyModel()).device(Fixtures.deviceName())
        .dtype("float32").systemPrompt(Fixtures.system(meta)).maxNewTokens(24).build();
        SafetensorsFile golden = SafetensorsFile.open(Fixtures.golden("guardtrace_image_f32.safetensors"))) {
      SafetyVerdict v = guard.detect(trace);
      assertThat(v.promptTokens()).isEqualTo(golden.longs("input_ids").length);
      assertThat(v.generatedTokenIds().stream().mapToLong(Integer::longValue).toArray())
          .containsExactly(golden.longs("gen_greedy_rep1.05_ids"));
      // the random model writes no judgment: fail closed, never safe
      assertThat(v.parsed()).isFalse();
      assertThat(v.isSafe()).isFalse();
      assertThat(v.timings().vision()).isPositive();
      SafetyVerdict again = guard.detect(trace);
      assertThat(again.cached()).isTrue();
      assertThat(again.generatedTokenIds()).isEqualTo(v.generatedTokenIds());
    }
  }

  static String between(String s, String from, String to) {
    int a = s.indexOf(from) + from.length();
    return s.substring(a, s.indexOf(to, a));
  }
}
