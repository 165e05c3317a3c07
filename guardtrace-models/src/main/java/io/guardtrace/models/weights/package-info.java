/** Part of the Qwen2.5-VL engine: weights. Internal API; may change between releases. */
@NullMarked
package io.guardtrace.models.weights;

import org.jspecify.annotations.NullMarked;
