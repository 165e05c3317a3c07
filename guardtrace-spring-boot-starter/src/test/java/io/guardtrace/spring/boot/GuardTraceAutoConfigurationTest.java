package io.guardtrace.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;

import io.guardtrace.FailurePolicy;
import io.guardtrace.GuardTrace;
import io.guardtrace.GuardTraceOptions;
import io.guardtrace.QtaTrace;
import io.guardtrace.RiskLevel;
import io.guardtrace.micrometer.GuardTraceMetrics;
import io.guardtrace.spring.ScriptedChatModel;
import io.guardtrace.spring.Scripts;
import io.guardtrace.spring.ai.GuardTraceAdvisor;
import io.guardtrace.spring.ai.OnUnsafe;
import io.guardtrace.testing.ScriptedEngine;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.ai.chat.client.ChatClient;
import org.springframework.ai.chat.client.ChatClientCustomizer;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.context.properties.bind.BindException;
import org.springframework.boot.context.properties.source.InvalidConfigurationPropertyValueException;
import org.springframework.boot.context.properties.source.MutuallyExclusiveConfigurationPropertiesException;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.annotation.Configuration;

/**
 * The auto-configuration with and without its optional libraries, every property, the user's own bean,
 * switching off, and startup failures. The guard's model is scripted (a customizer passes the engine).
 */
@ExtendWith(OutputCaptureExtension.class)
class GuardTraceAutoConfigurationTest {
  private final AtomicReference<ScriptedEngine> engine = new AtomicReference<>();

  private final ApplicationContextRunner runner = new ApplicationContextRunner()
      .withConfiguration(AutoConfigurations.of(GuardTraceAutoConfiguration.class,
          GuardTraceMetricsAutoConfiguration.class, GuardTraceHealthAutoConfiguration.class,
          GuardTraceSpringAiAutoConfiguration.class))
      .withBean(GuardTraceBuilderCustomizer.class, () -> builder -> {
        ScriptedEngine e = Scripts.standard().buildEngine();
        engine.set(e);
        builder.engine(e);
      });

  @Test
  void defaults_createOneGuardAdvisorAndCustomizer_noMetricsWithoutRegistry() {
    runner.run(context -> {
      assertThat(context).hasSingleBean(GuardTrace.class).hasSingleBean(GuardTraceAdvisor.class)
          .hasSingleBean(ChatClientCustomizer.class).hasSingleBean(GuardTraceHealthIndicator.class)
          .doesNotHaveBean(GuardTraceMetrics.class);
      GuardTrace guard = context.getBean(GuardTrace.class);
      assertThat(guard.modelIdentity()).isEqualTo("scripted");
      assertThat(guard.detect(QtaTrace.of("q", "a " + Scripts.HARMFUL_MARK, "no")).level())
          .isEqualTo(RiskLevel.HARMFUL);
      GuardTraceOptions o = guard.options();
      assertThat(o.device()).isEqualTo("auto");
      assertThat(o.dtype()).isEqualTo("auto");
      assertThat(o.failurePolicy()).isEqualTo(FailurePolicy.FAIL_CLOSED);
      assertThat(guard.systemPrompt()).isEqualTo(GuardTrace.defaultSystemPrompt());
    });
  }

  @Test
  void propertyDefaults_equalTheBuilderDefaults() {
    GuardTraceProperties p = new GuardTraceProperties();
    assertThat(p.getModel()).isEqualTo(GuardTrace.Builder.DEFAULT_MODEL);
    assertThat(p.getMaxNewTokens()).isEqualTo(GuardTrace.Builder.DEFAULT_MAX_NEW_TOKENS);
    assertThat(p.getTokenBudget()).isEqualTo(GuardTrace.Builder.DEFAULT_TOKEN_BUDGET);
    assertThat(p.getCache().getSize()).isEqualTo(GuardTrace.Builder.DEFAULT_CACHE_SIZE);
    assertThat(new GuardTraceSpringAiProperties().getRefusal()).isEqualTo(GuardTraceAdvisor.DEFAULT_REFUSAL);
    assertThat(new GuardTraceSpringAiProperties().getOrder()).isEqualTo(GuardTraceAdvisor.DEFAULT_ORDER);
    try (GuardTrace defaults = GuardTraceAutoConfiguration.builderFrom(p)
        .engine(Scripts.standard().buildEngine()).build();
        GuardTrace plain = GuardTrace.builder().engine(Scripts.standard().buildEngine()).build()) {
      assertThat(defaults.options()).isEqualTo(plain.options());
    }
  }

  @Test
  void everyProperty_reachesTheGuard() {
    runner.withPropertyValues(
        "guardtrace.model=acme/Other-Guard", "guardtrace.revision=v2", "guardtrace.device=cpu",
        "guardtrace.dtype=bfloat16", "guardtrace.max-new-tokens=77", "guardtrace.token-budget=4096",
        "guardtrace.system-prompt-file=classpath:test-system-prompt.txt", "guardtrace.missing-image-notice=true",
        "guardtrace.cache.size=123", "guardtrace.cache.ttl=5m", "guardtrace.failure-policy=throw",
        "guardtrace.request-timeout=30s", "guardtrace.concurrency=3", "guardtrace.threads=1",
        "guardtrace.min-pixels=3136", "guardtrace.max-pixels=100352", "guardtrace.max-image-pixels=1000000",
        "guardtrace.prefix-cache=false",
        "guardtrace.spring-ai.threshold=potentially-harmful", "guardtrace.spring-ai.on-unsafe=throw",
        "guardtrace.spring-ai.refusal=Nope.", "guardtrace.spring-ai.order=42",
        "guardtrace.spring-ai.check-every-tokens=16").run(context -> {
          GuardTraceOptions o = context.getBean(GuardTrace.class).options();
          assertThat(o).isEqualTo(new GuardTraceOptions("cpu", "bfloat16", 77, 4096, true, true, 123L,
              Duration.ofMinutes(5), FailurePolicy.THROW, Duration.ofSeconds(30), 3136, 100352, 1_000_000L, 1,
              false));
          assertThat(context.getBean(GuardTrace.class).systemPrompt())
              .isEqualTo("You audit traces. Reply with \"Analysis\" and \"Judgment\".\n");
          GuardTraceProperties p = context.getBean(GuardTraceProperties.class);
          assertThat(p.getModel()).isEqualTo("acme/Other-Guard");
          assertThat(p.getRevision()).isEqualTo("v2");
          assertThat(p.getConcurrency()).isEqualTo(3);
          GuardTraceSpringAiProperties ai = context.getBean(GuardTraceSpringAiProperties.class);
          assertThat(ai.getThreshold()).isEqualTo(RiskLevel.POTENTIALLY_HARMFUL);
          assertThat(ai.getOnUnsafe()).isEqualTo(OnUnsafe.THROW);
          assertThat(ai.getRefusal()).isEqualTo("Nope.");
          assertThat(ai.getCheckEveryTokens()).isEqualTo(16);
          GuardTraceAdvisor advisor = context.getBean(GuardTraceAdvisor.class);
          assertThat(advisor.getOrder()).isEqualTo(42);
          assertThat(advisor.isUnsafe(context.getBean(GuardTrace.class)
              .detect(QtaTrace.of("q", "t", "it is " + Scripts.RISKY_MARK + " like this")))).isTrue();
        });
  }

  @Test
  void systemPromptText_andCacheSwitchedOff() {
    runner.withPropertyValues("guardtrace.system-prompt=Judge it.", "guardtrace.cache.enabled=false")
        .run(context -> {
          GuardTrace guard = context.getBean(GuardTrace.class);
          assertThat(guard.systemPrompt()).isEqualTo("Judge it.");
          assertThat(guard.options().cacheEnabled()).isFalse();
          assertThat(guard.cacheStats().enabled()).isFalse();
        });
  }

  @Test
  void userDefinedGuard_wins_andIsUsedByTheAdvisor() {
    GuardTrace mine = Scripts.standard().identity("mine").build();
    runner.withBean("myGuard", GuardTrace.class, () -> mine).run(context -> {
      assertThat(context).hasSingleBean(GuardTrace.class);
      assertThat(context.getBean(GuardTrace.class)).isSameAs(mine);
      assertThat(engine.get()).as("the customizer was never used").isNull();
      assertThat(context).hasSingleBean(GuardTraceAdvisor.class);
    });
    mine.close();
  }

  @Test
  void disabled_createsNothing() {
    runner.withBean(SimpleMeterRegistry.class).withPropertyValues("guardtrace.enabled=false").run(context ->
        assertThat(context).doesNotHaveBean(GuardTrace.class).doesNotHaveBean(GuardTraceAdvisor.class)
            .doesNotHaveBean(GuardTraceMetrics.class).doesNotHaveBean(GuardTraceHealthIndicator.class));
  }

  @Test
  void springAiSwitches_advisorOffOrNotAutoRegistered() {
    runner.withPropertyValues("guardtrace.spring-ai.enabled=false").run(context ->
        assertThat(context).hasSingleBean(GuardTrace.class).doesNotHaveBean(GuardTraceAdvisor.class));
    runner.withPropertyValues("guardtrace.spring-ai.auto-register=false").run(context ->
        assertThat(context).hasSingleBean(GuardTraceAdvisor.class).doesNotHaveBean(ChatClientCustomizer.class));
  }

  @Test
  void autoRegisteredAdvisor_guardsClientsBuiltFromACustomizedBuilder() {
    runner.run(context -> {
      ChatClient.Builder builder = ChatClient.builder(new ScriptedChatModel("a " + Scripts.HARMFUL_MARK, "Sure!"));
      context.getBeansOfType(ChatClientCustomizer.class).values().forEach(c -> c.customize(builder));
      assertThat(builder.build().prompt("How?").call().content()).isEqualTo(GuardTraceAdvisor.DEFAULT_REFUSAL);
    });
  }

  @Test
  void withoutSpringAi_guardStillConfigured() {
    runner.withClassLoader(new FilteredClassLoader(ChatClient.class)).run(context ->
        assertThat(context).hasSingleBean(GuardTrace.class).doesNotHaveBean(GuardTraceAdvisor.class)
            .doesNotHaveBean(ChatClientCustomizer.class));
  }

  @Test
  void withMicrometer_everyVerdictAndTheCacheAreMetered() {
    runner.withBean(SimpleMeterRegistry.class).run(context -> {
      assertThat(context).hasSingleBean(GuardTraceMetrics.class);
      GuardTrace guard = context.getBean(GuardTrace.class);
      MeterRegistry registry = context.getBean(MeterRegistry.class);
      QtaTrace unsafe = QtaTrace.of("q", "the " + Scripts.HARMFUL_MARK, "no");
      guard.detect(unsafe);
      guard.detect(unsafe);
      guard.detect(QtaTrace.of("q", "fine", "fine"));
      assertThat(registry.get(GuardTraceMetrics.VERDICTS).tags("level", "harmful", "parsed", "true", "cached",
          "false").counter().count()).isEqualTo(1);
      assertThat(registry.get(GuardTraceMetrics.VERDICTS).tags("level", "harmful", "cached", "true").counter()
          .count()).isEqualTo(1);
      assertThat(registry.get(GuardTraceMetrics.VERDICTS).tags("level", "safe").counter().count()).isEqualTo(1);
      assertThat(registry.get(GuardTraceMetrics.DURATION).tags("phase", "total").timer().count()).isEqualTo(2);
      assertThat(registry.get(GuardTraceMetrics.DURATION).tags("phase", "decode").timer().count()).isEqualTo(2);
      assertThat(registry.get(GuardTraceMetrics.GENERATED_TOKENS).summary().count()).isEqualTo(2);
      assertThat(registry.get(GuardTraceMetrics.GENERATED_TOKENS).summary().totalAmount()).isPositive();
      assertThat(registry.get(GuardTraceMetrics.CACHE_HITS).functionCounter().count()).isEqualTo(1);
      assertThat(registry.get(GuardTraceMetrics.CACHE_MISSES).functionCounter().count()).isEqualTo(2);
      assertThat(registry.get(GuardTraceMetrics.CACHE_SIZE).gauge().value()).isEqualTo(2);
      // a run counts as active until its worker thread has finished it, just after the caller got the verdict
      org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
          assertThat(registry.get(GuardTraceMetrics.ACTIVE_REQUESTS).gauge().value()).isZero());
    });
  }

  @Test
  void withMicrometer_activeRequestsGaugeCountsARunningRequest() {
    java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
    ScriptedEngine slow = Scripts.standard().buildEngine();
    GuardTrace mine = GuardTrace.builder().engine(new io.guardtrace.spi.Engine() {
      @Override
      public String identity() {
        return slow.identity();
      }

      @Override
      public int contextLength() {
        return slow.contextLength();
      }

      @Override
      public int countTokens(String text) {
        return slow.countTokens(text);
      }

      @Override
      public int countPromptTokens(String systemPrompt, java.util.List<io.guardtrace.spi.PromptPart> parts) {
        return slow.countPromptTokens(systemPrompt, parts);
      }

      @Override
      public io.guardtrace.spi.EngineResult generate(io.guardtrace.spi.EngineRequest request) {
        try {
          release.await();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        return slow.generate(request);
      }

      @Override
      public void close() {
        slow.close();
      }
    }).build();
    runner.withBean(SimpleMeterRegistry.class).withBean(GuardTrace.class, () -> mine).run(context -> {
      MeterRegistry registry = context.getBean(MeterRegistry.class);
      var pending = mine.detectAsync(QtaTrace.of("q", "t", "a"));
      assertThat(registry.get(GuardTraceMetrics.ACTIVE_REQUESTS).gauge().value()).isEqualTo(1);
      release.countDown();
      pending.get();
    });
    mine.close();
  }

  @Test
  void withMicrometer_userGuardGetsTheGauges() {
    GuardTrace mine = Scripts.standard().build();
    runner.withBean(SimpleMeterRegistry.class).withBean(GuardTrace.class, () -> mine).run(context -> {
      mine.detect(QtaTrace.of("q", "t", "a"));
      MeterRegistry registry = context.getBean(MeterRegistry.class);
      assertThat(registry.get(GuardTraceMetrics.CACHE_MISSES).functionCounter().count()).isEqualTo(1);
      assertThat(registry.find(GuardTraceMetrics.VERDICTS).counters())
          .as("the user's guard was built without the listener").isEmpty();
    });
    mine.close();
  }

  @Test
  void withoutMicrometer_noMetrics() {
    runner.withClassLoader(new FilteredClassLoader(MeterRegistry.class)).run(context ->
        assertThat(context).hasSingleBean(GuardTrace.class).doesNotHaveBean(GuardTraceMetrics.class));
  }

  @Test
  void health_upWithModelDetails_downOnceClosed() {
    runner.withPropertyValues("guardtrace.device=cpu", "guardtrace.dtype=float32").run(context -> {
      HealthIndicator indicator = context.getBean("guardTraceHealthIndicator", HealthIndicator.class);
      Health health = indicator.health(true);
      assertThat(health.getStatus()).isEqualTo(Status.UP);
      assertThat(health.getDetails()).containsEntry("model", "scripted").containsEntry("device", "cpu")
          .containsEntry("dtype", "float32").containsEntry("activeRequests", 0);
      context.getBean(GuardTrace.class).close();
      assertThat(indicator.health(true).getStatus()).isEqualTo(Status.DOWN);
    });
  }

  @Test
  void withoutActuator_noHealthIndicator_andHealthSwitchRespected() {
    runner.withClassLoader(new FilteredClassLoader(HealthIndicator.class)).run(context ->
        assertThat(context).hasSingleBean(GuardTrace.class).doesNotHaveBean(GuardTraceHealthIndicator.class));
    runner.withPropertyValues("management.health.guardtrace.enabled=false").run(context ->
        assertThat(context).doesNotHaveBean(GuardTraceHealthIndicator.class));
  }

  @Test
  void guard_isClosedWithTheContext() {
    AtomicReference<GuardTrace> guard = new AtomicReference<>();
    runner.run(context -> guard.set(context.getBean(GuardTrace.class)));
    assertThat(guard.get().isClosed()).isTrue();
    assertThat(engine.get().isClosed()).isTrue();
  }

  @Test
  void badDevice_failsNamingTheProperty() {
    runner.withPropertyValues("guardtrace.device=tpu").run(context -> {
      assertThat(context).hasFailed();
      assertThat(context.getStartupFailure()).rootCause()
          .isInstanceOf(InvalidConfigurationPropertyValueException.class)
          .hasMessageContaining("guardtrace.device").hasMessageContaining("tpu")
          .hasMessageContaining("device must be auto, cpu, gpu or gpu:N");
    });
  }

  @Test
  void badNumbers_andPixelOrder_failNamingTheProperty() {
    runner.withPropertyValues("guardtrace.max-new-tokens=0").run(context ->
        assertThat(context.getStartupFailure()).rootCause().hasMessageContaining("guardtrace.max-new-tokens"));
    runner.withPropertyValues("guardtrace.min-pixels=5000", "guardtrace.max-pixels=4000").run(context ->
        assertThat(context.getStartupFailure()).rootCause().hasMessageContaining("guardtrace.min-pixels")
            .hasMessageContaining("exceeds maxPixels"));
    runner.withPropertyValues("guardtrace.spring-ai.threshold=safe").run(context ->
        assertThat(context.getStartupFailure()).rootCause()
            .hasMessageContaining("guardtrace.spring-ai.threshold"));
  }

  @Test
  void badDtype_failsBindingNamingTheProperty() {
    runner.withPropertyValues("guardtrace.dtype=float64").run(context -> {
      assertThat(context).hasFailed();
      assertThat(context.getStartupFailure()).hasRootCauseInstanceOf(IllegalArgumentException.class);
      BindException bind = findCause(context.getStartupFailure(), BindException.class);
      assertThat(bind.getName().toString()).isEqualTo("guardtrace.dtype");
      assertThat(bind.getProperty().getName().toString()).isEqualTo("guardtrace.dtype");
      assertThat(bind.getProperty().getValue()).isEqualTo("float64");
    });
  }

  @Test
  void bothSystemPrompts_failNamingBoth() {
    runner.withPropertyValues("guardtrace.system-prompt=x", "guardtrace.system-prompt-file=classpath:x.txt")
        .run(context -> assertThat(context.getStartupFailure()).rootCause()
            .isInstanceOf(MutuallyExclusiveConfigurationPropertiesException.class)
            .hasMessageContaining("guardtrace.system-prompt").hasMessageContaining("guardtrace.system-prompt-file"));
  }

  @Test
  void badDtype_applicationFailureReportNamesTheProperty(CapturedOutput output) {
    SpringApplicationBuilder app = new SpringApplicationBuilder(EmptyApp.class)
        .web(WebApplicationType.NONE)
        .properties("guardtrace.dtype=float64", "spring.main.banner-mode=off");
    org.assertj.core.api.Assertions.assertThatThrownBy(app::run);
    assertThat(output).contains("APPLICATION FAILED TO START").contains("guardtrace.dtype")
        .contains("float64");
  }

  private static <T extends Throwable> T findCause(Throwable t, Class<T> type) {
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (type.isInstance(c)) {
        return type.cast(c);
      }
    }
    throw new AssertionError("no " + type.getSimpleName() + " in " + t);
  }

  /** A Boot application with nothing but the auto-configuration. */
  @Configuration(proxyBeanMethods = false)
  @org.springframework.boot.autoconfigure.EnableAutoConfiguration
  static class EmptyApp {}
}
