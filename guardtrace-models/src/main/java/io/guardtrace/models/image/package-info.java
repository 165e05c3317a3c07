/** Image decoding and the Qwen2-VL image processor, bit-exact with the PIL-based reference. Pure Java. */
@NullMarked
package io.guardtrace.models.image;

import org.jspecify.annotations.NullMarked;
