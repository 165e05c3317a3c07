/** Synthetic Qwen2.5-VL checkpoints (random weights, generated tokenizer) for demos and benchmarks. */
@NullMarked
package io.guardtrace.models.synth;

import org.jspecify.annotations.NullMarked;
