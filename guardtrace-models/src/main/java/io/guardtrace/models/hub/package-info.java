/** Resolving Hugging Face model ids through the local hub cache, downloading into it when allowed. */
@NullMarked
package io.guardtrace.models.hub;

import org.jspecify.annotations.NullMarked;
