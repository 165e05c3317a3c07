/**
 * The narrow seam between guardtrace's public API and a model engine. Application code never needs this
 * package; engine implementations register an {@link io.guardtrace.spi.EngineProvider} with
 * {@link java.util.ServiceLoader}.
 */
@NullMarked
package io.guardtrace.spi;

import org.jspecify.annotations.NullMarked;
