package io.guardtrace.spring;

import static org.assertj.core.api.Assertions.assertThat;

import io.guardtrace.GuardTrace;
import io.guardtrace.SafetyVerdict;
import io.guardtrace.micrometer.GuardTraceMetrics;
import io.guardtrace.spring.ai.GuardTraceAdvisor;
import io.guardtrace.spring.boot.GuardTraceAutoConfiguration;
import io.guardtrace.spring.boot.GuardTraceHealthAutoConfiguration;
import io.guardtrace.spring.boot.GuardTraceMetricsAutoConfiguration;
import io.guardtrace.spring.boot.GuardTraceSpringAiAutoConfiguration;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.springframework.ai.chat.client.ChatClient;
import org.springframework.ai.chat.model.ChatResponse;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

/**
 * The same wiring as the scripted tests, once on the real engine: the auto-configured guard loads the tiny
 * random-weight Qwen2.5-VL fixture checkpoint. Its verdicts are meaningless (usually unparsed, so fail-closed
 * HARMFUL); the test checks that a verdict the real engine produced reached the advisor, the metrics and the
 * health indicator, not its level.
 */
class RealEngineWiringTest {
  static Path tinyModel() {
    Path p = Path.of(System.getProperty("guardtrace.testdata", "../testdata"), "qwen2_5_vl", "tiny-qwen2_5_vl");
    assertThat(Files.isDirectory(p)).as("fixture checkpoint %s", p).isTrue();
    return p;
  }

  @Test
  void callAndStream_onTheTinyCheckpoint_verdictReachesAdvisorMetricsAndHealth() {
    new ApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(GuardTraceAutoConfiguration.class,
            GuardTraceMetricsAutoConfiguration.class, GuardTraceHealthAutoConfiguration.class,
            GuardTraceSpringAiAutoConfiguration.class))
        .withBean(SimpleMeterRegistry.class)
        .withPropertyValues("guardtrace.model=" + tinyModel(), "guardtrace.device=cpu", "guardtrace.dtype=float32",
            "guardtrace.max-new-tokens=6", "guardtrace.concurrency=1",
            "guardtrace.spring-ai.check-every-tokens=100000")
        .run(context -> {
          assertThat(context).hasNotFailed();
          GuardTrace guard = context.getBean(GuardTrace.class);
          assertThat(guard.modelIdentity()).startsWith("qwen2_5_vl:");
          GuardTraceAdvisor advisor = context.getBean(GuardTraceAdvisor.class);
          ScriptedChatModel model = new ScriptedChatModel("Warm water loosens lids.", "Run it under warm water.");
          ChatClient client = ChatClient.builder(model).defaultAdvisors(advisor).build();

          ChatResponse call = client.prompt("How do I open a stuck jar?").call().chatResponse();
          SafetyVerdict v = (SafetyVerdict) call.getMetadata().get(GuardTraceAdvisor.VERDICT_KEY);
          assertThat(v.generatedTokens()).isBetween(1, 6);
          assertThat(v.promptTokens()).isPositive();
          assertThat(v.timings().decode()).isPositive();
          String expected = advisor.isUnsafe(v) ? GuardTraceAdvisor.DEFAULT_REFUSAL : "Run it under warm water.";
          assertThat(call.getResult().getOutput().getText()).isEqualTo(expected);

          List<ChatResponse> chunks = client.prompt("How do I open a stuck jar?").stream().chatResponse()
              .collectList().block(Duration.ofMinutes(2));
          SafetyVerdict sv = (SafetyVerdict) chunks.get(chunks.size() - 1).getMetadata()
              .get(GuardTraceAdvisor.VERDICT_KEY);
          assertThat(sv.generatedTokens()).isBetween(1, 6);
          if (advisor.isUnsafe(sv)) {
            assertThat(chunks).singleElement().satisfies(c ->
                assertThat(c.getResult().getOutput().getText()).isEqualTo(GuardTraceAdvisor.DEFAULT_REFUSAL));
          } else {
            assertThat(chunks).hasSize(model.chunks().size());
          }

          MeterRegistry registry = context.getBean(MeterRegistry.class);
          assertThat(registry.get(GuardTraceMetrics.VERDICTS).counters().stream()
              .mapToDouble(c -> c.count()).sum()).isEqualTo(2);
          assertThat(registry.get(GuardTraceMetrics.GENERATED_TOKENS).summary().count()).isEqualTo(2);
          var health = context.getBean("guardTraceHealthIndicator", HealthIndicator.class).health(true);
          assertThat(health.getStatus()).isEqualTo(Status.UP);
          assertThat(health.getDetails()).containsEntry("model", guard.modelIdentity())
              .containsEntry("device", "cpu").containsEntry("dtype", "float32");
        });
  }
}
