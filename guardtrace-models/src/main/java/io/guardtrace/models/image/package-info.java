/**
 * The Qwen2-VL image processor, bit-exact with the PIL-based reference. Pure Java; decoding and
 * {@code smart_resize} are in {@link io.guardtrace.image}.
 */
@NullMarked
package io.guardtrace.models.image;

import org.jspecify.annotations.NullMarked;
