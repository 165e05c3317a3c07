package io.guardtrace;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * What the string given to {@link GuardTrace.Builder#model(String)} names: a Hugging Face id or a local
 * directory. The rules keep the two apart so that no directory under the working directory can stand in for
 * a hub model (and no hub repository for a directory the user meant):
 *
 * <ul>
 *   <li>an absolute path, or one starting with {@code ./} or {@code ../} (or {@code .\} / {@code ..\}), is a
 *       directory;
 *   <li>{@code ORG/NAME} is a Hugging Face id, resolved through the hub cache only; if a directory of that
 *       name also exists under the working directory the string is ambiguous and rejected, with a message
 *       saying to write {@code ./ORG/NAME} for the directory;
 *   <li>anything else (one name, three or more segments, a Windows path) is a directory when one exists there
 *       or when it contains a separator; a lone word that names no directory is an error.
 * </ul>
 *
 * @param directory the model directory, or null for an id
 * @param id the Hugging Face id, or null for a directory
 */
record ModelReference(@Nullable Path directory, @Nullable String id) {
  /** A Hugging Face model id: {@code ORG/NAME}, each part starting with a letter or digit. */
  static final Pattern HUB_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]*/[A-Za-z0-9][A-Za-z0-9._-]*");

  /**
   * Reads {@code text}, checking for directories relative to {@code workingDirectory} (the process's working
   * directory in production, {@code Path.of("")}).
   *
   * @throws IllegalArgumentException when {@code text} is blank, ambiguous, or neither a directory nor an id
   */
  static ModelReference parse(String text, Path workingDirectory) {
    Objects.requireNonNull(text, "model");
    if (text.isBlank()) {
      throw new IllegalArgumentException("model must not be blank");
    }
    if (explicitPath(text)) {
      return new ModelReference(Path.of(text), null);
    }
    boolean existingDirectory = Files.isDirectory(workingDirectory.resolve(text));
    if (HUB_ID.matcher(text).matches()) {
      if (existingDirectory) {
        throw new IllegalArgumentException("model '" + text + "' is both a Hugging Face id and a directory under "
            + "the working directory " + workingDirectory.toAbsolutePath().normalize() + "; write ./" + text
            + " (or pass a Path) for the directory, or run from another directory for the hub model");
      }
      return new ModelReference(null, text);
    }
    if (existingDirectory || text.contains("/") || text.contains(java.io.File.separator)) {
      // a path that does not exist is reported by build() as a missing model directory
      return new ModelReference(Path.of(text), null);
    }
    throw new IllegalArgumentException("model '" + text + "' is neither an existing directory nor a Hugging Face "
        + "id of the form ORG/NAME");
  }

  private static boolean explicitPath(String text) {
    return text.startsWith("./") || text.startsWith("../") || text.startsWith(".\\") || text.startsWith("..\\")
        || text.equals(".") || text.equals("..") || Path.of(text).isAbsolute();
  }
}
