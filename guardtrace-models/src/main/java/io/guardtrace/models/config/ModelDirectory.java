package io.guardtrace.models.config;

import io.guardtrace.ModelLoadException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import org.jspecify.annotations.Nullable;

/**
 * A checkpoint directory as the boundary of what a model may make the engine read. A model's files name other
 * files (the shards of {@code model.safetensors.index.json}), and a downloaded repository may contain links;
 * a hostile repository would use either to make the loader read a file elsewhere on the machine (and report
 * its bytes in an error message), or to hang it on a FIFO or a device.
 *
 * <p>So every file of a model is looked up here: its name must be a plain file name (no separator, no
 * {@code ..}); its real path, after links, must lie inside the directory, or, when the directory is a
 * snapshot of the Hugging Face cache ({@code .../models--ORG--NAME/snapshots/<commit>}), inside that
 * repository's {@code blobs/} folder, where the cache's snapshot links point; and it must be a regular file.
 */
public final class ModelDirectory {
  /** Longest file name accepted (the usual file system limit). */
  private static final int MAX_NAME_LENGTH = 255;

  private final Path dir;
  private final Path realDir;
  private final @Nullable Path realBlobs;

  private ModelDirectory(Path dir, Path realDir, @Nullable Path realBlobs) {
    this.dir = dir;
    this.realDir = realDir;
    this.realBlobs = realBlobs;
  }

  /**
   * The model directory {@code dir}.
   *
   * @param dir the checkpoint directory, as the caller named it
   * @return the directory, ready to look files up in
   * @throws ModelLoadException when {@code dir} is not a directory
   */
  public static ModelDirectory of(Path dir) {
    if (!Files.isDirectory(dir)) {
      throw new ModelLoadException("model directory " + dir + " does not exist");
    }
    Path real;
    try {
      real = dir.toRealPath();
    } catch (IOException e) {
      throw new ModelLoadException("cannot read model directory " + dir + ": " + e, e);
    }
    return new ModelDirectory(dir, real, hubBlobs(real));
  }

  /** The repository's {@code blobs/} when {@code realDir} is a hub cache snapshot, else null. */
  private static @Nullable Path hubBlobs(Path realDir) {
    Path snapshots = realDir.getParent();
    Path repo = snapshots == null ? null : snapshots.getParent();
    if (repo == null || repo.getFileName() == null
        || !"snapshots".equals(String.valueOf(snapshots.getFileName()))
        || !repo.getFileName().toString().startsWith("models--")) {
      return null;
    }
    try {
      Path blobs = repo.resolve("blobs");
      return Files.isDirectory(blobs, LinkOption.NOFOLLOW_LINKS) ? blobs.toRealPath() : null;
    } catch (IOException e) {
      return null;
    }
  }

  /**
   * The directory as the caller named it.
   *
   * @return the path given to {@link #of}
   */
  public Path path() {
    return dir;
  }

  /**
   * Whether the directory has an entry named {@code name} (which may still be refused by {@link #file}).
   *
   * @param name a plain file name chosen by the engine, such as {@code generation_config.json}
   * @return true when an entry of that name exists (a link counts when its target exists)
   */
  public boolean has(String name) {
    requirePlainName(name, "model file " + name);
    return Files.exists(dir.resolve(name));
  }

  /**
   * The model file {@code name}, checked.
   *
   * @param name a plain file name chosen by the engine, such as {@code config.json}
   * @return the file's path inside the directory
   * @throws ModelLoadException when it is missing, resolves outside the model, or is not a regular file
   */
  public Path file(String name) {
    return file(name, "model file " + name);
  }

  /**
   * The model file {@code name}, checked, where {@code name} was read from another model file.
   *
   * @param name the file name as the model's file gives it (untrusted)
   * @param role what the file is, for messages, e.g. {@code weights shard 'x' listed in ...}
   * @return the file's path inside the directory
   * @throws ModelLoadException when the name is not a plain file name, or the file is missing, resolves
   *     outside the model, or is not a regular file
   */
  public Path file(String name, String role) {
    requirePlainName(name, role);
    Path path = dir.resolve(name);
    Path real;
    try {
      real = path.toRealPath();
    } catch (NoSuchFileException e) {
      String link = Files.isSymbolicLink(path) ? " (a link to a file that does not exist)" : "";
      throw new ModelLoadException(role + " is missing from " + dir + link
          + " (the download may be incomplete)", e);
    } catch (IOException e) {
      throw new ModelLoadException("cannot read " + role + " in " + dir + ": " + e, e);
    }
    if (!real.startsWith(realDir) && (realBlobs == null || !real.startsWith(realBlobs))) {
      throw new ModelLoadException(role + " in " + dir + " is a link to a file outside the model directory;"
          + " a model's files must lie inside its directory (or, in the Hugging Face cache, in its repository's"
          + " blobs/)");
    }
    if (!Files.isRegularFile(real)) {
      throw new ModelLoadException(role + " in " + dir + " is not a regular file (a directory, FIFO or device)");
    }
    return path;
  }

  /**
   * Refuses a file name that is not a plain name in one directory: empty, {@code .} or {@code ..}, with a
   * path separator, a drive colon or a control character, or longer than 255 characters.
   *
   * @param name the untrusted file name
   * @param role what the name stands for, with the name {@linkplain Untrusted#quote quoted}, for the message
   * @return {@code name}
   * @throws ModelLoadException naming {@code role}
   */
  public static String requirePlainName(String name, String role) {
    boolean plain = !name.isEmpty() && name.length() <= MAX_NAME_LENGTH && !name.equals(".") && !name.equals("..");
    for (int i = 0; plain && i < name.length(); i++) {
      char c = name.charAt(i);
      plain = c >= 0x20 && c != 0x7f && c != '/' && c != '\\' && c != ':';
    }
    if (!plain) {
      throw new ModelLoadException(role + " is not a plain file name; a model may only name files inside its"
          + " own directory");
    }
    return name;
  }

  @Override
  public String toString() {
    return dir.toString();
  }
}
