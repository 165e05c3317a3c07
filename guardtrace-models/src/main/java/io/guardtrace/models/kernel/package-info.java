/**
 * guardtrace's own CPU kernels for bfloat16 decoding, written with the Java Vector API
 * ({@code jdk.incubator.vector}): a matrix-vector product that streams bf16 weights at memory speed, decode
 * attention over a bf16 KV cache, and the worker threads they run on. Used only when
 * {@link io.guardtrace.models.kernel.VectorKernels#available()}; no class here but {@code VectorKernels} may be
 * touched otherwise. Internal API.
 */
@NullMarked
package io.guardtrace.models.kernel;

import org.jspecify.annotations.NullMarked;
