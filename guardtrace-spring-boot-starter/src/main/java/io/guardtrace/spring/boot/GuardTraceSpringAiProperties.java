package io.guardtrace.spring.boot;

import io.guardtrace.RiskLevel;
import io.guardtrace.spring.ai.GuardTraceAdvisor;
import io.guardtrace.spring.ai.OnUnsafe;
import org.springframework.boot.context.properties.ConfigurationProperties;

/** The {@code guardtrace.spring-ai.*} settings of the auto-configured {@link GuardTraceAdvisor}. */
@ConfigurationProperties("guardtrace.spring-ai")
public class GuardTraceSpringAiProperties {
  /** Whether to create the GuardTraceAdvisor bean when Spring AI's ChatClient is on the classpath. */
  private boolean enabled = true;

  /**
   * Whether to add the advisor to every ChatClient built from Spring AI's auto-configured ChatClient.Builder.
   * Off: add the GuardTraceAdvisor bean to your clients yourself.
   */
  private boolean autoRegister = true;

  /** The lowest verdict level that blocks a response: harmful, or potentially-harmful for stricter. */
  private RiskLevel threshold = RiskLevel.HARMFUL;

  /** What happens to a blocked response: refuse (replace it with the refusal) or throw. */
  private OnUnsafe onUnsafe = OnUnsafe.REFUSE;

  /** The text that replaces a blocked answer. */
  private String refusal = "I can't help with that.";

  /**
   * The advisor order. Default GuardTraceAdvisor.DEFAULT_ORDER (HIGHEST_PRECEDENCE + 250): inside chat memory
   * (+200), outside the tool-calling loop (+300).
   */
  private int order = GuardTraceAdvisor.DEFAULT_ORDER;

  /** When streaming, check after this many new tokens; text is held back until a check covering it passed. */
  private int checkEveryTokens = 64;

  /**
   * Whether to create the advisor.
   *
   * @return the setting
   */
  public boolean isEnabled() {
    return enabled;
  }

  /**
   * Sets whether to create the advisor.
   *
   * @param enabled the setting
   */
  public void setEnabled(boolean enabled) {
    this.enabled = enabled;
  }

  /**
   * Whether to add the advisor to the auto-configured ChatClient.Builder.
   *
   * @return the setting
   */
  public boolean isAutoRegister() {
    return autoRegister;
  }

  /**
   * Sets whether to add the advisor to the auto-configured ChatClient.Builder.
   *
   * @param autoRegister the setting
   */
  public void setAutoRegister(boolean autoRegister) {
    this.autoRegister = autoRegister;
  }

  /**
   * The blocking threshold.
   *
   * @return the lowest level that blocks
   */
  public RiskLevel getThreshold() {
    return threshold;
  }

  /**
   * Sets the blocking threshold.
   *
   * @param threshold the lowest level that blocks
   */
  public void setThreshold(RiskLevel threshold) {
    this.threshold = threshold;
  }

  /**
   * What happens to a blocked response.
   *
   * @return refuse or throw
   */
  public OnUnsafe getOnUnsafe() {
    return onUnsafe;
  }

  /**
   * Sets what happens to a blocked response.
   *
   * @param onUnsafe refuse or throw
   */
  public void setOnUnsafe(OnUnsafe onUnsafe) {
    this.onUnsafe = onUnsafe;
  }

  /**
   * The refusal text.
   *
   * @return the text
   */
  public String getRefusal() {
    return refusal;
  }

  /**
   * Sets the refusal text.
   *
   * @param refusal the text
   */
  public void setRefusal(String refusal) {
    this.refusal = refusal;
  }

  /**
   * The advisor order.
   *
   * @return the order
   */
  public int getOrder() {
    return order;
  }

  /**
   * Sets the advisor order.
   *
   * @param order the order
   */
  public void setOrder(int order) {
    this.order = order;
  }

  /**
   * The streaming check interval.
   *
   * @return tokens between checks
   */
  public int getCheckEveryTokens() {
    return checkEveryTokens;
  }

  /**
   * Sets the streaming check interval.
   *
   * @param checkEveryTokens tokens between checks
   */
  public void setCheckEveryTokens(int checkEveryTokens) {
    this.checkEveryTokens = checkEveryTokens;
  }
}
