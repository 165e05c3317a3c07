/**
 * Image decoding as the model's reference preprocessing sees images (Pillow's {@code convert("RGB")}), the
 * decompression-bomb check on the declared size, and Qwen2-VL's {@code smart_resize} geometry. Pure Java
 * (ImageIO and the TwelveMonkeys WebP plugin), so both the DJL engine and the test kit validate images with the
 * same code.
 */
@NullMarked
package io.guardtrace.image;

import org.jspecify.annotations.NullMarked;
