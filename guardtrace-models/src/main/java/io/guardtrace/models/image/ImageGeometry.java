package io.guardtrace.models.image;

/**
 * What an image becomes, known from its header alone.
 *
 * @param width original width
 * @param height original height
 * @param resizedWidth width after smart_resize
 * @param resizedHeight height after smart_resize
 * @param gridT temporal patches
 * @param gridH patch rows
 * @param gridW patch columns
 * @param tokens image tokens
 */
public record ImageGeometry(int width, int height, int resizedWidth, int resizedHeight, int gridT, int gridH,
    int gridW, int tokens) {}
