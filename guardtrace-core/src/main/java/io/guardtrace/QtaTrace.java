package io.guardtrace;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A Question-Thinking-Answer trace to moderate: the user's question (text and images), the model's reasoning
 * and its final answer. Immutable and thread-safe.
 *
 * <p>Rules: no field may be null; the thinking and the answer may be empty (a partial trace, or a model that
 * shows no reasoning); the question must not be blank unless the trace has at least one image. A violation is
 * an {@link InvalidInputException} (null: {@link NullPointerException} naming the field).
 *
 * <pre>{@code
 * QtaTrace trace = QtaTrace.of("How do I pick a lock?", "The user wants...", "I can't help with that.")
 *     .withImage(TraceImage.ofPath(Path.of("lock.png")));
 * }</pre>
 *
 * @param question the user's question text
 * @param thinking the model's reasoning (may be empty)
 * @param answer the model's final answer (may be empty)
 * @param images the question's images, in order
 * @param imageUnavailable whether the question named an image that could not be loaded: the guard then reads
 *     the text part {@value QtaPrompt#MISSING_IMAGE} after the images (none, usually), as the reference
 *     evaluation tells the model about an image it failed to open
 */
public record QtaTrace(String question, String thinking, String answer, List<TraceImage> images,
    boolean imageUnavailable) {

  /**
   * Checks the fields as the class documents.
   *
   * @param question the user's question text
   * @param thinking the model's reasoning (may be empty)
   * @param answer the model's final answer (may be empty)
   * @param images the question's images, in order
   * @param imageUnavailable whether the trace names an image that could not be loaded (see
   *     {@link #imageUnavailable()})
   */
  public QtaTrace {
    Objects.requireNonNull(question, "question");
    Objects.requireNonNull(thinking, "thinking");
    Objects.requireNonNull(answer, "answer");
    Objects.requireNonNull(images, "images");
    images = List.copyOf(images);
    if (question.isBlank() && images.isEmpty()) {
      throw new InvalidInputException("the trace's question is blank and it has no image: there is nothing "
          + "to judge the reasoning against; pass the user's question");
    }
  }

  /**
   * A trace whose images are all available.
   *
   * @param question the user's question text
   * @param thinking the model's reasoning (may be empty)
   * @param answer the model's final answer (may be empty)
   * @param images the question's images, in order
   */
  public QtaTrace(String question, String thinking, String answer, List<TraceImage> images) {
    this(question, thinking, answer, images, false);
  }

  /**
   * A text-only trace.
   *
   * @param question the user's question
   * @param thinking the model's reasoning (may be empty)
   * @param answer the model's final answer (may be empty)
   * @return the trace, without images
   */
  public static QtaTrace of(String question, String thinking, String answer) {
    return new QtaTrace(question, thinking, answer, List.of());
  }

  /**
   * A copy with {@code image} appended to the question's images.
   *
   * @param image the image to add
   * @return the copy
   */
  public QtaTrace withImage(TraceImage image) {
    Objects.requireNonNull(image, "image");
    List<TraceImage> all = new ArrayList<>(images);
    all.add(image);
    return new QtaTrace(question, thinking, answer, all, imageUnavailable);
  }

  /**
   * A copy with {@code thinking} replaced.
   *
   * @param thinking the new thinking
   * @return the copy
   */
  public QtaTrace withThinking(String thinking) {
    return new QtaTrace(question, thinking, answer, images, imageUnavailable);
  }

  /**
   * A copy with {@code answer} replaced.
   *
   * @param answer the new answer
   * @return the copy
   */
  public QtaTrace withAnswer(String answer) {
    return new QtaTrace(question, thinking, answer, images, imageUnavailable);
  }

  /**
   * A copy marked as naming an image that could not be loaded (see {@link #imageUnavailable()}).
   *
   * @return the marked copy
   */
  public QtaTrace withImageUnavailable() {
    return new QtaTrace(question, thinking, answer, images, true);
  }

  /**
   * A builder, for traces assembled step by step.
   *
   * @return a new builder
   */
  public static Builder builder() {
    return new Builder();
  }

  /** Builds a {@link QtaTrace}. Not thread-safe. */
  public static final class Builder {
    private String question = "";
    private String thinking = "";
    private String answer = "";
    private final List<TraceImage> images = new ArrayList<>();
    private boolean imageUnavailable;

    private Builder() {}

    /**
     * The question text.
     *
     * @param question the user's question
     * @return this builder
     */
    public Builder question(String question) {
      this.question = Objects.requireNonNull(question, "question");
      return this;
    }

    /**
     * The reasoning text.
     *
     * @param thinking the model's reasoning
     * @return this builder
     */
    public Builder thinking(String thinking) {
      this.thinking = Objects.requireNonNull(thinking, "thinking");
      return this;
    }

    /**
     * The final answer.
     *
     * @param answer the model's final answer
     * @return this builder
     */
    public Builder answer(String answer) {
      this.answer = Objects.requireNonNull(answer, "answer");
      return this;
    }

    /**
     * Appends an image.
     *
     * @param image the image to append
     * @return this builder
     */
    public Builder image(TraceImage image) {
      images.add(Objects.requireNonNull(image, "image"));
      return this;
    }

    /**
     * Marks the trace as naming an image that could not be loaded (see {@link QtaTrace#imageUnavailable()}).
     *
     * @return this builder
     */
    public Builder imageUnavailable() {
      this.imageUnavailable = true;
      return this;
    }

    /**
     * The trace.
     *
     * @return the trace
     */
    public QtaTrace build() {
      return new QtaTrace(question, thinking, answer, images, imageUnavailable);
    }
  }
}
