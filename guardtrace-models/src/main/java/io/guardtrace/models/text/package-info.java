/** Part of the Qwen2.5-VL engine: text. Internal API; may change between releases. */
@NullMarked
package io.guardtrace.models.text;

import org.jspecify.annotations.NullMarked;
