package io.guardtrace.examples.cli;

import io.guardtrace.GuardTraceCancelledException;
import io.guardtrace.InvalidInputException;
import io.guardtrace.ModelLoadException;

/** The command's exit codes: 0 success, 2 usage error, 3 bad input (trace or image), 4 model problem. */
final class ExitCodes {
  static final int OK = 0;
  static final int USAGE = 2;
  static final int BAD_INPUT = 3;
  static final int MODEL = 4;
  static final int FAILURE = 1;

  private ExitCodes() {}

  /** The exit code for an exception that ended a command. */
  static int of(Throwable e) {
    if (e instanceof UsageException) {
      return USAGE;
    }
    if (e instanceof InvalidInputException || e instanceof BadInputException) {
      return BAD_INPUT;
    }
    if (e instanceof ModelLoadException) {
      return MODEL;
    }
    if (e instanceof GuardTraceCancelledException) {
      return FAILURE;
    }
    return FAILURE;
  }

  /** An option value the command cannot use (found after parsing, for example an ambiguous --model). */
  static final class UsageException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    UsageException(String message, Throwable cause) {
      super(message, cause);
    }
  }

  /** A problem with a file the user passed (unreadable or malformed trace or dataset). */
  static final class BadInputException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    BadInputException(String message) {
      super(message);
    }

    BadInputException(String message, Throwable cause) {
      super(message, cause);
    }
  }
}
