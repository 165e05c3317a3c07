package io.guardtrace;

/** The model's output holds no judgment of 0, 0.5 or 1 (thrown under {@link FailurePolicy#THROW}). */
public class VerdictParseException extends GuardTraceException {
  private static final long serialVersionUID = 1L;

  /** The model's full output. */
  private final String rawOutput;

  /**
   * Creates the exception for {@code rawOutput}.
   *
   * @param rawOutput the model's full output
   */
  public VerdictParseException(String rawOutput) {
    super("the model's output has no \"Judgment\": 0, 0.5 or 1 (raise maxNewTokens if the output was cut off, "
        + "or check the system prompt asks for that format); output starts: "
        + (rawOutput.length() > 200 ? rawOutput.substring(0, 200) + "..." : rawOutput));
    this.rawOutput = rawOutput;
  }

  /**
   * The model's full output.
   *
   * @return the model's full output
   */
  public String rawOutput() {
    return rawOutput;
  }
}
