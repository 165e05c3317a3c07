/**
 * guardtrace: moderate the full reasoning of a multimodal model (question, images, thinking, answer) with
 * GuardTrace-VL, in process. Start from {@link io.guardtrace.GuardTrace#builder()}.
 */
@NullMarked
package io.guardtrace;

import org.jspecify.annotations.NullMarked;
