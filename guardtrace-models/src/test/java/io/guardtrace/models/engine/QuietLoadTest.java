package io.guardtrace.models.engine;

import static org.assertj.core.api.Assertions.assertThat;

import io.guardtrace.GuardTrace;
import io.guardtrace.QtaTrace;
import io.guardtrace.models.Fixtures;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The library never writes to System.out or System.err itself: it logs through SLF4J, whatever the provider. */
class QuietLoadTest {

  @Test
  void loadingAndUsingAModel_writesNothingToStdoutOrStderr() {
    // SLF4J's own one-time notice about a missing provider is the application's business, not the library's
    org.slf4j.LoggerFactory.getILoggerFactory();
    PrintStream out = System.out;
    PrintStream err = System.err;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    PrintStream capture = new PrintStream(captured, true, StandardCharsets.UTF_8);
    System.setOut(capture);
    System.setErr(capture);
    try (GuardTrace guard = GuardTrace.builder().model(Fixtures.tinyModel()).device(Fixtures.deviceName())
        .maxNewTokens(2).build()) {
      guard.detect(QtaTrace.of("q", "t", "a"));
    } finally {
      System.setOut(out);
      System.setErr(err);
    }
    assertThat(captured.toString(StandardCharsets.UTF_8)).isEmpty();
  }
}
