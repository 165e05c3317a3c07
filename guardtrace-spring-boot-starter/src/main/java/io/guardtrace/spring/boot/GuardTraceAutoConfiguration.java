package io.guardtrace.spring.boot;

import io.guardtrace.GuardTrace;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.context.properties.source.InvalidConfigurationPropertyValueException;
import org.springframework.boot.context.properties.source.MutuallyExclusiveConfigurationPropertiesException;
import org.springframework.context.annotation.Bean;
import org.springframework.core.io.Resource;

/**
 * Creates one shared {@link GuardTrace} from the {@code guardtrace.*} properties, unless the application
 * defines its own {@code GuardTrace} bean or sets {@code guardtrace.enabled=false}. The model loads when the
 * bean is created (startup) and is closed with the context.
 */
@AutoConfiguration
@ConditionalOnClass(GuardTrace.class)
@ConditionalOnBooleanProperty(name = "guardtrace.enabled", matchIfMissing = true)
@EnableConfigurationProperties(GuardTraceProperties.class)
public class GuardTraceAutoConfiguration {
  /** Creates the configuration; Spring calls it. */
  public GuardTraceAutoConfiguration() {}

  /**
   * The shared guard.
   *
   * @param properties the {@code guardtrace.*} settings
   * @param customizers applied after the properties, in order
   * @return the guard, closed with the context
   */
  @Bean(destroyMethod = "close")
  @ConditionalOnMissingBean
  public GuardTrace guardTrace(GuardTraceProperties properties,
      ObjectProvider<GuardTraceBuilderCustomizer> customizers) {
    GuardTrace.Builder builder = builderFrom(properties);
    customizers.orderedStream().forEach(c -> c.customize(builder));
    try {
      return builder.build();
    } catch (IllegalStateException e) {
      // the one cross-option check build() makes
      if (properties.getMinPixels() != null && properties.getMaxPixels() != null) {
        throw new InvalidConfigurationPropertyValueException("guardtrace.min-pixels", properties.getMinPixels(),
            e.getMessage() + " (guardtrace.max-pixels)");
      }
      throw e;
    }
  }

  /**
   * A builder with every property applied. A value the builder rejects becomes an
   * {@link InvalidConfigurationPropertyValueException} naming the property, which Spring Boot's failure
   * analysis reports at startup.
   */
  static GuardTrace.Builder builderFrom(GuardTraceProperties p) {
    GuardTrace.Builder b = GuardTrace.builder();
    apply("guardtrace.model", p.getModel(), b::model);
    applyIfSet("guardtrace.revision", p.getRevision(), b::revision);
    apply("guardtrace.device", p.getDevice(), b::device);
    b.dtype(p.getDtype().builderValue());
    apply("guardtrace.max-new-tokens", p.getMaxNewTokens(), b::maxNewTokens);
    apply("guardtrace.token-budget", p.getTokenBudget(), b::tokenBudget);
    MutuallyExclusiveConfigurationPropertiesException.throwIfMultipleNonNullValuesIn(entries -> {
      entries.put("guardtrace.system-prompt", p.getSystemPrompt());
      entries.put("guardtrace.system-prompt-file", p.getSystemPromptFile());
    });
    applyIfSet("guardtrace.system-prompt", p.getSystemPrompt(), b::systemPrompt);
    Resource promptFile = p.getSystemPromptFile();
    if (promptFile != null) {
      apply("guardtrace.system-prompt-file", promptFile, r -> b.systemPrompt(read(r)));
    }
    b.missingImageNotice(p.isMissingImageNotice());
    apply("guardtrace.cache.size", p.getCache().getSize(), b::cacheSize);
    applyIfSet("guardtrace.cache.ttl", p.getCache().getTtl(), b::cacheTtl);
    if (!p.getCache().isEnabled()) {
      b.disableCache();
    }
    b.failurePolicy(p.getFailurePolicy());
    applyIfSet("guardtrace.request-timeout", p.getRequestTimeout(), b::requestTimeout);
    apply("guardtrace.concurrency", p.getConcurrency(), b::concurrency);
    applyIfSet("guardtrace.threads", p.getThreads(), b::threads);
    applyIfSet("guardtrace.min-pixels", p.getMinPixels(), b::minPixels);
    applyIfSet("guardtrace.max-pixels", p.getMaxPixels(), b::maxPixels);
    apply("guardtrace.max-image-pixels", p.getMaxImagePixels(), b::maxImagePixels);
    b.prefixCache(p.isPrefixCache());
    return b;
  }

  private static String read(Resource resource) {
    try {
      return resource.getContentAsString(StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot read " + resource.getDescription() + ": " + e.getMessage(), e);
    }
  }

  private static <T> void applyIfSet(String name, @Nullable T value, Consumer<T> setter) {
    if (value != null) {
      apply(name, value, setter);
    }
  }

  private static <T> void apply(String name, T value, Consumer<T> setter) {
    try {
      setter.accept(value);
    } catch (IllegalArgumentException e) {
      throw new InvalidConfigurationPropertyValueException(name, value, e.getMessage());
    }
  }
}
