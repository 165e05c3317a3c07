/**
 * The narrow seam between guardtrace's public API and a model engine. Engine implementations register an
 * {@link io.guardtrace.spi.EngineProvider} with {@link java.util.ServiceLoader}. Application code needs this
 * package only in tests, to read the {@link io.guardtrace.spi.EngineRequest}s that the test kit's scripted engine
 * ({@code io.guardtrace.testing.ScriptedEngine} in {@code guardtrace-test}) received.
 */
@NullMarked
package io.guardtrace.spi;

import org.jspecify.annotations.NullMarked;
