/** The Qwen2.5-VL vision tower on DJL. Internal API. */
@NullMarked
package io.guardtrace.models.vision;

import org.jspecify.annotations.NullMarked;
