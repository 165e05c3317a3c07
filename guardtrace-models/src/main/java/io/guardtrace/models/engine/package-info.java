/** Part of the Qwen2.5-VL engine: engine. Internal API; may change between releases. */
@NullMarked
package io.guardtrace.models.engine;

import org.jspecify.annotations.NullMarked;
