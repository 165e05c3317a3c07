package io.guardtrace;

/**
 * The parts of a trace that are never truncated (system prompt, images, question and answer) do not fit in
 * the token budget. Shorten the question or answer, use fewer or smaller images, or raise the budget.
 */
public class PromptTooLongException extends InvalidInputException {
  private static final long serialVersionUID = 1L;

  /** Tokens the prompt needs. */
  private final int tokens;
  /** The token limit it exceeds. */
  private final int budget;

  /**
   * Creates the exception for a prompt of {@code tokens} tokens against a budget of {@code budget}.
   *
   * @param tokens tokens the prompt needs
   * @param budget the token limit it exceeds
   * @param detail what was too long and what to do
   */
  public PromptTooLongException(int tokens, int budget, String detail) {
    super("the prompt needs " + tokens + " tokens but the budget is " + budget + ": " + detail);
    this.tokens = tokens;
    this.budget = budget;
  }

  /**
   * Tokens the prompt needs; a lower bound when the trace was refused without being tokenized (a question and
   * answer longer than the budget can hold whatever their text, see {@link GuardTrace.Builder#tokenBudget}).
   *
   * @return the token count, or its lower bound
   */
  public int tokens() {
    return tokens;
  }

  /**
   * The token budget.
   *
   * @return the budget the prompt was measured against
   */
  public int budget() {
    return budget;
  }
}
