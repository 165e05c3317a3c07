package io.guardtrace;

import java.time.Duration;
import org.jspecify.annotations.Nullable;

/**
 * The settings of a {@link GuardTrace}, as built by {@link GuardTrace.Builder}.
 *
 * @param device {@code auto}, {@code cpu}, {@code gpu} or {@code gpu:N}
 * @param dtype {@code auto}, {@code float32} or {@code bfloat16}
 * @param maxNewTokens generation limit per verdict
 * @param tokenBudget prompt token limit; longer traces have the middle of their thinking cut
 * @param missingImageNotice whether a trace without images gets the reference demo's "Image missing or
 *     unavailable" text part
 * @param cacheEnabled whether verdicts are cached
 * @param cacheSize the most verdicts cached
 * @param cacheTtl how long a verdict stays cached, or null for no limit
 * @param failurePolicy what an unreadable output becomes
 * @param requestTimeout per-request deadline, or null for none
 * @param minPixels image min_pixels override, or null for preprocessor_config.json's
 * @param maxPixels image max_pixels override, or null for preprocessor_config.json's
 * @param maxImagePixels images declaring more pixels than this are rejected before decoding
 * @param threads CPU threads for the engine, 0 for its default
 * @param prefixCache whether the engine caches the system prompt's keys and values
 */
public record GuardTraceOptions(
    String device,
    String dtype,
    int maxNewTokens,
    int tokenBudget,
    boolean missingImageNotice,
    boolean cacheEnabled,
    long cacheSize,
    @Nullable Duration cacheTtl,
    FailurePolicy failurePolicy,
    @Nullable Duration requestTimeout,
    @Nullable Integer minPixels,
    @Nullable Integer maxPixels,
    long maxImagePixels,
    int threads,
    boolean prefixCache) {}
