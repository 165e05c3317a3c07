package io.guardtrace.examples.spring;

import static org.assertj.core.api.Assertions.assertThat;

import io.guardtrace.GuardTrace;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

/**
 * The example backend once on the real engine: {@code guardtrace.model} points at the tiny random-weight
 * fixture checkpoint. Its verdicts are meaningless, so the test checks the wiring: the reply carries the
 * verdict the real engine gave, and the health endpoint names the loaded model.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
    "guardtrace.model=${guardtrace.testdata}/qwen2_5_vl/tiny-qwen2_5_vl", "guardtrace.device=cpu",
    "guardtrace.dtype=float32", "guardtrace.max-new-tokens=6", "guardtrace.concurrency=1"})
class ChatbotRealEngineHttpTest {
  @LocalServerPort
  int port;

  @Autowired
  GuardTrace guard;

  @Test
  void chatAndHealth_onTheTinyCheckpoint() throws Exception {
    HttpClient http = HttpClient.newHttpClient();
    ObjectMapper json = new ObjectMapper();
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/chat"))
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString("{\"message\":\"How do I keep basil alive?\"}")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    JsonNode reply = json.readTree(r.body());
    boolean blocked = reply.get("blocked").asBoolean();
    assertThat(blocked).isEqualTo("HARMFUL".equals(reply.get("level").asString()));
    assertThat(reply.get("answer").asString()).isEqualTo(blocked ? "Sorry, I can't help with that."
        : "Happy to help: How do I keep basil alive?");
    assertThat(guard.modelIdentity()).startsWith("qwen2_5_vl:");
    assertThat(guard.cacheStats().misses()).as("the real engine judged the exchange").isEqualTo(1);

    JsonNode health = json.readTree(http.send(HttpRequest.newBuilder(
        URI.create("http://127.0.0.1:" + port + "/actuator/health")).build(), HttpResponse.BodyHandlers.ofString())
        .body());
    assertThat(health.at("/components/guardTrace/details/model").asString()).isEqualTo(guard.modelIdentity());
    assertThat(health.at("/components/guardTrace/details/dtype").asString()).isEqualTo("float32");
  }
}
