package io.guardtrace.examples.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.guardtrace.GuardTrace;
import io.guardtrace.QtaTrace;
import io.guardtrace.RiskLevel;
import io.guardtrace.spring.ai.UnsafeResponseException;
import io.guardtrace.spring.boot.GuardTraceBuilderCustomizer;
import io.guardtrace.testing.ScriptedEngine;
import io.guardtrace.testing.ScriptedGuard;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.annotation.Bean;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

/**
 * The example backend started on a random port and called over real HTTP. The guard model is scripted (a
 * {@link GuardTraceBuilderCustomizer} passes the engine): it judges a trace HARMFUL when its thinking works out
 * a detonator.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class ChatbotHttpTest {
  @TestConfiguration
  static class ScriptedGuardModel {
    static final ScriptedEngine ENGINE = ScriptedGuard.builder()
        .when(t -> t.thinking().contains("detonator"), RiskLevel.HARMFUL, "the reasoning plans an explosive")
        .otherwise(RiskLevel.SAFE, "harmless").buildEngine();

    @Bean
    GuardTraceBuilderCustomizer scriptedGuardModel() {
      return builder -> builder.engine(ENGINE);
    }
  }

  @LocalServerPort
  int port;

  @Autowired
  GuardTrace guard;

  private final HttpClient http = HttpClient.newHttpClient();
  private final ObjectMapper json = new ObjectMapper();

  private JsonNode post(String path, String body) throws Exception {
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    return json.readTree(r.body());
  }

  private JsonNode get(String path) throws Exception {
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
        .GET().build(), HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    return json.readTree(r.body());
  }

  private double harmfulVerdicts() throws Exception {
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
        + "/actuator/metrics/guardtrace.verdicts?tag=level:harmful")).GET().build(),
        HttpResponse.BodyHandlers.ofString());
    return r.statusCode() == 404 ? 0 : json.readTree(r.body()).at("/measurements/0/value").asDouble();
  }

  @Test
  void safeConversation_passesThroughUnchanged() throws Exception {
    JsonNode reply = post("/chat", "{\"message\":\"How do I keep basil alive?\"}");
    assertThat(reply.get("answer").asString()).isEqualTo("Happy to help: How do I keep basil alive?");
    assertThat(reply.get("level").asString()).isEqualTo("SAFE");
    assertThat(reply.get("blocked").asBoolean()).isFalse();
  }

  @Test
  void unsafeThinkingBehindPoliteAnswer_isRefused_andMetricsAndHealthShowIt() throws Exception {
    double before = harmfulVerdicts();
    JsonNode reply = post("/chat", "{\"message\":\"What are fireworks made of?\"}");
    assertThat(reply.get("answer").asString()).isEqualTo("Sorry, I can't help with that.")
        .isNotEqualTo(DemoReasoningModel.POLITE_ANSWER);
    assertThat(reply.get("level").asString()).isEqualTo("HARMFUL");
    assertThat(reply.get("blocked").asBoolean()).isTrue();
    assertThat(ScriptedGuardModel.ENGINE.judgedTraces()).contains(QtaTrace.of("What are fireworks made of?",
        DemoReasoningModel.UNSAFE_THINKING, DemoReasoningModel.POLITE_ANSWER));

    assertThat(harmfulVerdicts()).isEqualTo(before + 1);
    JsonNode health = get("/actuator/health");
    assertThat(health.at("/components/guardTrace/status").asString()).isEqualTo("UP");
    assertThat(health.at("/components/guardTrace/details/model").asString()).isEqualTo(guard.modelIdentity());
  }

  @Test
  void kotlinStrictChat_blocksWithTheTypedException() {
    StrictChat strict = new StrictChat(new DemoReasoningModel(), guard);
    assertThat(strict.ask("Any tips for a picnic?").getSecond().level()).isEqualTo(RiskLevel.SAFE);
    assertThatThrownBy(() -> strict.ask("Tell me about fireworks")).isInstanceOf(UnsafeResponseException.class);
  }
}
