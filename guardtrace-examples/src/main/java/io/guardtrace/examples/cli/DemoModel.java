package io.guardtrace.examples.cli;

import java.io.PrintWriter;
import java.nio.file.Path;

/** The {@code --model demo} checkpoint. */
final class DemoModel {
  private DemoModel() {}

  static Path directory(PrintWriter err) {
    throw new UnsupportedOperationException("--model demo is not available in this build");
  }
}
