package io.guardtrace.spring.boot;

import io.guardtrace.FailurePolicy;
import io.guardtrace.GuardTrace;
import java.time.Duration;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.core.io.Resource;

/**
 * The {@code guardtrace.*} settings of the shared {@link GuardTrace} bean. Each maps to the
 * {@link GuardTrace.Builder} option of the same name; unset options keep the builder's default. A value the
 * builder rejects fails startup with a message naming the property.
 */
@ConfigurationProperties("guardtrace")
public class GuardTraceProperties {
  /** Whether to create the shared GuardTrace bean (and everything built on it). */
  private boolean enabled = true;

  /**
   * The model: a directory in Hugging Face layout, or a Hugging Face id (ORG/NAME) found in the local Hugging
   * Face cache or downloaded at startup.
   */
  private String model = "DloadingX/GuardTrace-VL-3B";

  /** The Hugging Face revision (branch, tag or commit) of a model given by id; unset: main. */
  private @Nullable String revision;

  /** Where the model runs: auto (a GPU when one is visible), cpu, gpu or gpu:N. */
  private String device = "auto";

  /** Weight precision; auto is bfloat16 on CUDA and on CPUs with AVX512-BF16/AMX, else float32. */
  private Dtype dtype = Dtype.AUTO;

  /** The most tokens generated per verdict. */
  private int maxNewTokens = 1024;

  /** The prompt token budget; longer traces have the middle of their thinking cut, visibly. */
  private int tokenBudget = 8192;

  /** The auditor system prompt as text; unset: guardtrace's own instruction. Excludes system-prompt-file. */
  private @Nullable String systemPrompt;

  /**
   * The auditor system prompt read from a UTF-8 resource (file:..., classpath:...), for example the prompt the
   * model's authors publish. Excludes system-prompt.
   */
  private @Nullable Resource systemPromptFile;

  /** Whether traces without images get the reference demo's "Image missing or unavailable" text part. */
  private boolean missingImageNotice;

  /** The verdict cache. */
  private final Cache cache = new Cache();

  /** What an unreadable model output becomes: fail-closed (HARMFUL, unparsed) or throw. */
  private FailurePolicy failurePolicy = FailurePolicy.FAIL_CLOSED;

  /** A deadline per request; a request still running then is stopped. Unset: none. */
  private @Nullable Duration requestTimeout;

  /** Threads of the guard's internal executor: how many requests run on the model at once. */
  private int concurrency = 2;

  /** CPU threads for the engine's operators. Unset: the engine's default (all cores). */
  private @Nullable Integer threads;

  /** Overrides the model's preprocessor_config.json min_pixels. */
  private @Nullable Integer minPixels;

  /** Overrides the model's preprocessor_config.json max_pixels (fewer pixels: fewer image tokens, faster). */
  private @Nullable Integer maxPixels;

  /** Images declaring more pixels than this are rejected before decoding (decompression-bomb limit). */
  private long maxImagePixels = 50_000_000L;

  /** Whether the engine keeps the system prompt's keys and values across requests (identical output). */
  private boolean prefixCache = true;

  /** Weight precisions ({@code guardtrace.dtype}). */
  public enum Dtype {
    /** bfloat16 on CUDA and on CPUs with AVX512-BF16/AMX, else float32. */
    AUTO("auto"),
    /** 32-bit floats. */
    FLOAT32("float32"),
    /** bfloat16. */
    BFLOAT16("bfloat16"),
    /** bfloat16 with int8 decode weights on the CPU: faster decoding, slightly different logits (opt-in). */
    INT8("int8");

    private final String builderValue;

    Dtype(String builderValue) {
      this.builderValue = builderValue;
    }

    /**
     * The value {@link GuardTrace.Builder#dtype(String)} takes.
     *
     * @return auto, float32, bfloat16 or int8
     */
    public String builderValue() {
      return builderValue;
    }
  }

  /** The verdict cache ({@code guardtrace.cache.*}). */
  public static class Cache {
    /** Whether verdicts are cached; identical concurrent requests then run the model once. */
    private boolean enabled = true;

    /** The most verdicts cached; 0 disables the cache. */
    private long size = 10000;

    /** How long a cached verdict lives. Unset: until evicted by size. */
    private @Nullable Duration ttl;

    /**
     * Whether verdicts are cached.
     *
     * @return the setting
     */
    public boolean isEnabled() {
      return enabled;
    }

    /**
     * Sets whether verdicts are cached.
     *
     * @param enabled the setting
     */
    public void setEnabled(boolean enabled) {
      this.enabled = enabled;
    }

    /**
     * The most verdicts cached.
     *
     * @return the size
     */
    public long getSize() {
      return size;
    }

    /**
     * Sets the most verdicts cached.
     *
     * @param size the size; 0 disables the cache
     */
    public void setSize(long size) {
      this.size = size;
    }

    /**
     * How long a cached verdict lives.
     *
     * @return the time to live, or null for no limit
     */
    public @Nullable Duration getTtl() {
      return ttl;
    }

    /**
     * Sets how long a cached verdict lives.
     *
     * @param ttl the time to live, or null for no limit
     */
    public void setTtl(@Nullable Duration ttl) {
      this.ttl = ttl;
    }
  }

  /**
   * Whether to create the shared GuardTrace bean.
   *
   * @return the setting
   */
  public boolean isEnabled() {
    return enabled;
  }

  /**
   * Sets whether to create the shared GuardTrace bean.
   *
   * @param enabled the setting
   */
  public void setEnabled(boolean enabled) {
    this.enabled = enabled;
  }

  /**
   * The model directory or Hugging Face id.
   *
   * @return the model
   */
  public String getModel() {
    return model;
  }

  /**
   * Sets the model directory or Hugging Face id.
   *
   * @param model the model
   */
  public void setModel(String model) {
    this.model = model;
  }

  /**
   * The Hugging Face revision.
   *
   * @return the revision, or null for main
   */
  public @Nullable String getRevision() {
    return revision;
  }

  /**
   * Sets the Hugging Face revision.
   *
   * @param revision the revision, or null for main
   */
  public void setRevision(@Nullable String revision) {
    this.revision = revision;
  }

  /**
   * The device.
   *
   * @return auto, cpu, gpu or gpu:N
   */
  public String getDevice() {
    return device;
  }

  /**
   * Sets the device.
   *
   * @param device auto, cpu, gpu or gpu:N
   */
  public void setDevice(String device) {
    this.device = device;
  }

  /**
   * The weight precision.
   *
   * @return the precision
   */
  public Dtype getDtype() {
    return dtype;
  }

  /**
   * Sets the weight precision.
   *
   * @param dtype the precision
   */
  public void setDtype(Dtype dtype) {
    this.dtype = dtype;
  }

  /**
   * The generation limit per verdict.
   *
   * @return the limit
   */
  public int getMaxNewTokens() {
    return maxNewTokens;
  }

  /**
   * Sets the generation limit per verdict.
   *
   * @param maxNewTokens the limit
   */
  public void setMaxNewTokens(int maxNewTokens) {
    this.maxNewTokens = maxNewTokens;
  }

  /**
   * The prompt token budget.
   *
   * @return the budget
   */
  public int getTokenBudget() {
    return tokenBudget;
  }

  /**
   * Sets the prompt token budget.
   *
   * @param tokenBudget the budget
   */
  public void setTokenBudget(int tokenBudget) {
    this.tokenBudget = tokenBudget;
  }

  /**
   * The system prompt text.
   *
   * @return the text, or null
   */
  public @Nullable String getSystemPrompt() {
    return systemPrompt;
  }

  /**
   * Sets the system prompt text.
   *
   * @param systemPrompt the text, or null for the default
   */
  public void setSystemPrompt(@Nullable String systemPrompt) {
    this.systemPrompt = systemPrompt;
  }

  /**
   * The system prompt resource.
   *
   * @return the resource, or null
   */
  public @Nullable Resource getSystemPromptFile() {
    return systemPromptFile;
  }

  /**
   * Sets the system prompt resource.
   *
   * @param systemPromptFile the resource, or null
   */
  public void setSystemPromptFile(@Nullable Resource systemPromptFile) {
    this.systemPromptFile = systemPromptFile;
  }

  /**
   * Whether traces without images get the missing-image notice.
   *
   * @return the setting
   */
  public boolean isMissingImageNotice() {
    return missingImageNotice;
  }

  /**
   * Sets whether traces without images get the missing-image notice.
   *
   * @param missingImageNotice the setting
   */
  public void setMissingImageNotice(boolean missingImageNotice) {
    this.missingImageNotice = missingImageNotice;
  }

  /**
   * The verdict cache settings.
   *
   * @return the cache settings
   */
  public Cache getCache() {
    return cache;
  }

  /**
   * The failure policy.
   *
   * @return the policy
   */
  public FailurePolicy getFailurePolicy() {
    return failurePolicy;
  }

  /**
   * Sets the failure policy.
   *
   * @param failurePolicy the policy
   */
  public void setFailurePolicy(FailurePolicy failurePolicy) {
    this.failurePolicy = failurePolicy;
  }

  /**
   * The per-request deadline.
   *
   * @return the deadline, or null for none
   */
  public @Nullable Duration getRequestTimeout() {
    return requestTimeout;
  }

  /**
   * Sets the per-request deadline.
   *
   * @param requestTimeout the deadline, or null for none
   */
  public void setRequestTimeout(@Nullable Duration requestTimeout) {
    this.requestTimeout = requestTimeout;
  }

  /**
   * The internal executor's threads.
   *
   * @return the thread count
   */
  public int getConcurrency() {
    return concurrency;
  }

  /**
   * Sets the internal executor's threads.
   *
   * @param concurrency the thread count
   */
  public void setConcurrency(int concurrency) {
    this.concurrency = concurrency;
  }

  /**
   * The engine's CPU threads.
   *
   * @return the thread count, or null for the engine's default
   */
  public @Nullable Integer getThreads() {
    return threads;
  }

  /**
   * Sets the engine's CPU threads.
   *
   * @param threads the thread count, or null for the engine's default
   */
  public void setThreads(@Nullable Integer threads) {
    this.threads = threads;
  }

  /**
   * The min_pixels override.
   *
   * @return the override, or null
   */
  public @Nullable Integer getMinPixels() {
    return minPixels;
  }

  /**
   * Sets the min_pixels override.
   *
   * @param minPixels the override, or null
   */
  public void setMinPixels(@Nullable Integer minPixels) {
    this.minPixels = minPixels;
  }

  /**
   * The max_pixels override.
   *
   * @return the override, or null
   */
  public @Nullable Integer getMaxPixels() {
    return maxPixels;
  }

  /**
   * Sets the max_pixels override.
   *
   * @param maxPixels the override, or null
   */
  public void setMaxPixels(@Nullable Integer maxPixels) {
    this.maxPixels = maxPixels;
  }

  /**
   * The decompression-bomb limit.
   *
   * @return the most pixels an image may declare
   */
  public long getMaxImagePixels() {
    return maxImagePixels;
  }

  /**
   * Sets the decompression-bomb limit.
   *
   * @param maxImagePixels the most pixels an image may declare
   */
  public void setMaxImagePixels(long maxImagePixels) {
    this.maxImagePixels = maxImagePixels;
  }

  /**
   * Whether the engine caches the system prompt's keys and values.
   *
   * @return the setting
   */
  public boolean isPrefixCache() {
    return prefixCache;
  }

  /**
   * Sets whether the engine caches the system prompt's keys and values.
   *
   * @param prefixCache the setting
   */
  public void setPrefixCache(boolean prefixCache) {
    this.prefixCache = prefixCache;
  }
}
