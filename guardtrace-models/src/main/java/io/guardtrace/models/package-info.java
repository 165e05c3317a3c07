/**
 * The Qwen2.5-VL engine behind guardtrace, on DJL's PyTorch engine. Applications use it through
 * {@code io.guardtrace.GuardTrace}; the engine registers itself with {@link java.util.ServiceLoader}.
 */
@NullMarked
package io.guardtrace.models;

import org.jspecify.annotations.NullMarked;
