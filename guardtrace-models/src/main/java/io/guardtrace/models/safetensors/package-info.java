/** Part of the Qwen2.5-VL engine: safetensors. Internal API; may change between releases. */
@NullMarked
package io.guardtrace.models.safetensors;

import org.jspecify.annotations.NullMarked;
