package io.guardtrace;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/** guardtrace's own auditor instruction, {@code default-system-prompt.txt} beside this class. */
final class DefaultSystemPrompt {
  private static volatile String text;

  private DefaultSystemPrompt() {}

  static String text() {
    String t = text;
    if (t == null) {
      try (InputStream in = DefaultSystemPrompt.class.getResourceAsStream("default-system-prompt.txt")) {
        if (in == null) {
          throw new IllegalStateException("default-system-prompt.txt is missing from the guardtrace-core jar");
        }
        t = new String(in.readAllBytes(), StandardCharsets.UTF_8).strip();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      text = t;
    }
    return t;
  }
}
