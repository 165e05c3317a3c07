package io.guardtrace.examples.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** {@code guardtrace inspect-image}: wired to the image preprocessor. */
@Command(name = "inspect-image", mixinStandardHelpOptions = true,
    description = "Show how images are resized and tokenized.")
final class InspectImageCommand implements Callable<Integer> {
  @Override
  public Integer call() {
    throw new UnsupportedOperationException("inspect-image is not available in this build");
  }
}
