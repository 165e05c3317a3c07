/**
 * A test kit for applications that use guardtrace: {@link io.guardtrace.testing.ScriptedGuard} builds a real
 * {@link io.guardtrace.GuardTrace} whose model answers from a script instead of running GuardTrace-VL, so a
 * moderation flow is unit-tested in milliseconds, without the model on disk and without DJL.
 *
 * <p>Everything around the model is production code: the prompt and its token budget, the verdict cache,
 * the failure policy, timeouts, cancellation, {@code close()} and {@code monitor()}. The scripted model writes
 * its output in GuardTrace-VL's own format, which guardtrace's parser reads back, and it decodes and checks
 * images with the engine's decoder (a corrupt image fails with {@link io.guardtrace.InvalidImageException}, a
 * decompression bomb is refused from its header).
 *
 * <pre>{@code
 * try (GuardTrace guard = ScriptedGuard.builder()
 *     .when(trace -> trace.thinking().contains("detonator"), RiskLevel.HARMFUL, "explains a detonator")
 *     .otherwise(RiskLevel.SAFE, "harmless")
 *     .build()) {
 *   assertEquals(RiskLevel.HARMFUL, guard.detect(QtaTrace.of("q", "wire the detonator", "no")).level());
 * }
 * }</pre>
 */
@NullMarked
package io.guardtrace.testing;

import org.jspecify.annotations.NullMarked;
