package io.guardtrace.spring.boot;

import io.guardtrace.GuardTrace;
import io.guardtrace.spring.ai.GuardTraceAdvisor;
import java.util.function.Consumer;
import org.springframework.ai.chat.client.ChatClient;
import org.springframework.ai.chat.client.ChatClientCustomizer;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnSingleCandidate;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.context.properties.source.InvalidConfigurationPropertyValueException;
import org.springframework.context.annotation.Bean;

/**
 * The {@link GuardTraceAdvisor} bean when Spring AI's {@link ChatClient} is on the classpath, configured by
 * {@code guardtrace.spring-ai.*}, and a {@link ChatClientCustomizer} that adds it to every client built from
 * Spring AI's auto-configured {@code ChatClient.Builder} (unless {@code guardtrace.spring-ai.auto-register}
 * is false).
 */
@AutoConfiguration(after = GuardTraceAutoConfiguration.class)
@ConditionalOnClass({GuardTrace.class, ChatClient.class})
@ConditionalOnSingleCandidate(GuardTrace.class)
@ConditionalOnBooleanProperty(name = "guardtrace.spring-ai.enabled", matchIfMissing = true)
@EnableConfigurationProperties(GuardTraceSpringAiProperties.class)
public class GuardTraceSpringAiAutoConfiguration {
  /** Creates the configuration; Spring calls it. */
  public GuardTraceSpringAiAutoConfiguration() {}

  /**
   * The advisor.
   *
   * @param guard the guard
   * @param p the {@code guardtrace.spring-ai.*} settings
   * @return the advisor
   */
  @Bean
  @ConditionalOnMissingBean
  public GuardTraceAdvisor guardTraceAdvisor(GuardTrace guard, GuardTraceSpringAiProperties p) {
    GuardTraceAdvisor.Builder b = GuardTraceAdvisor.builder(guard).onUnsafe(p.getOnUnsafe()).order(p.getOrder());
    apply("guardtrace.spring-ai.threshold", p.getThreshold(), b::threshold);
    apply("guardtrace.spring-ai.refusal", p.getRefusal(), b::refusal);
    apply("guardtrace.spring-ai.check-every-tokens", p.getCheckEveryTokens(), b::checkEveryTokens);
    return b.build();
  }

  /**
   * Adds the advisor to the clients built from Spring AI's auto-configured builder.
   *
   * @param advisor the advisor
   * @return the customizer
   */
  @Bean
  @ConditionalOnBooleanProperty(name = "guardtrace.spring-ai.auto-register", matchIfMissing = true)
  public ChatClientCustomizer guardTraceChatClientCustomizer(GuardTraceAdvisor advisor) {
    return builder -> builder.defaultAdvisors(advisor);
  }

  private static <T> void apply(String name, T value, Consumer<T> setter) {
    try {
      setter.accept(value);
    } catch (IllegalArgumentException e) {
      throw new InvalidConfigurationPropertyValueException(name, value, e.getMessage());
    }
  }
}
