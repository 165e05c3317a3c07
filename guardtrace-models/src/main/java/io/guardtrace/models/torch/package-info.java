/** TorchScript helpers for the bfloat16 path (DJL 0.36 cannot create or cast bfloat16 itself). Internal API. */
@NullMarked
package io.guardtrace.models.torch;

import org.jspecify.annotations.NullMarked;
