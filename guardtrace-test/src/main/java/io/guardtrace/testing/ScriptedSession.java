package io.guardtrace.testing;

import io.guardtrace.GuardTraceClosedException;
import io.guardtrace.spi.EngineRequest;
import io.guardtrace.spi.EngineResult;
import io.guardtrace.spi.EngineSession;

/**
 * A monitor's session on the {@link ScriptedEngine}: every check is answered by the engine's script for the
 * trace as it stands. Like the real session it holds the last prompt's tokens between checks (none after a
 * failed check) and fails with {@link GuardTraceClosedException} once closed.
 */
final class ScriptedSession implements EngineSession {
  private final ScriptedEngine engine;
  private volatile int cachedTokens;
  private volatile boolean closed;

  ScriptedSession(ScriptedEngine engine) {
    this.engine = engine;
  }

  @Override
  public synchronized EngineResult generate(EngineRequest request) {
    if (closed) {
      throw new GuardTraceClosedException("the session was closed");
    }
    cachedTokens = 0;
    EngineResult result = engine.generate(request);
    cachedTokens = result.promptTokens();
    return result;
  }

  @Override
  public int cachedTokens() {
    return cachedTokens;
  }

  @Override
  public void close() {
    closed = true;
  }
}
