/** Part of the Qwen2.5-VL engine: config. Internal API; may change between releases. */
@NullMarked
package io.guardtrace.models.config;

import org.jspecify.annotations.NullMarked;
