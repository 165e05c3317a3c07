package io.guardtrace.image;

/**
 * An 8-bit RGB image, row-major, 3 bytes a pixel.
 *
 * @param width pixels per row
 * @param height rows
 * @param rgb {@code height * width * 3} bytes
 */
public record RgbImage(int width, int height, byte[] rgb) {}
