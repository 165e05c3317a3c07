package io.guardtrace.models;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.guardtrace.models.config.Json;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/** Hostile variants of the tiny fixture checkpoint, built in a test's temporary directory. */
public final class HostileModels {
  private HostileModels() {}

  /**
   * Copies the tiny checkpoint into {@code dir}. {@code model.safetensors} is a hard link to the fixture where
   * the file system allows (it is 20 MB): tests must replace it ({@link #replace}), never write into it.
   */
  public static Path copyTiny(Path dir) {
    try {
      Files.createDirectories(dir);
      try (var files = Files.list(Fixtures.tinyModel())) {
        for (Path f : (Iterable<Path>) files::iterator) {
          Path target = dir.resolve(f.getFileName().toString());
          if (f.getFileName().toString().equals("model.safetensors")) {
            try {
              Files.createLink(target, f);
              continue;
            } catch (IOException | UnsupportedOperationException e) {
              // another file system: copy below
            }
          }
          Files.copy(f, target);
        }
      }
      return dir;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Rewrites the JSON object in {@code file} with {@code edit} applied. */
  public static void editJson(Path file, Consumer<ObjectNode> edit) {
    ObjectNode root = (ObjectNode) Json.read(file);
    edit.accept(root);
    replace(file, root.toPrettyString().getBytes(StandardCharsets.UTF_8));
  }

  /** Replaces {@code file} (a link included) by a new file holding {@code bytes}. */
  public static void replace(Path file, byte[] bytes) {
    try {
      Path tmp = file.resolveSibling(file.getFileName() + ".new");
      Files.write(tmp, bytes);
      Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A safetensors file's bytes: the 8-byte header length, {@code header} and {@code data}. */
  public static byte[] safetensors(byte[] header, byte[] data) {
    ByteBuffer b = ByteBuffer.allocate(8 + header.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
    return b.putLong(header.length).put(header).put(data).array();
  }

  /**
   * Renames tensor {@code from} to {@code to} (same length, so the header keeps its size and the file stays
   * valid) in the safetensors file {@code file}, replacing the file.
   */
  public static void renameTensor(Path file, String from, String to) {
    if (from.length() != to.length()) {
      throw new IllegalArgumentException("names must have the same length");
    }
    try {
      byte[] bytes = Files.readAllBytes(file);
      long headerLen = ByteBuffer.wrap(bytes, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
      String header = new String(bytes, 8, (int) headerLen, StandardCharsets.UTF_8);
      String quoted = "\"" + from + "\"";
      if (!header.contains(quoted)) {
        throw new IllegalArgumentException("no tensor " + from);
      }
      byte[] renamed = header.replace(quoted, "\"" + to + "\"").getBytes(StandardCharsets.UTF_8);
      System.arraycopy(renamed, 0, bytes, 8, renamed.length);
      replace(file, bytes);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Creates a FIFO at {@code path} with mkfifo(1). */
  public static void mkfifo(Path path) {
    try {
      Process p = new ProcessBuilder("mkfifo", path.toString()).inheritIO().start();
      if (!p.waitFor(10, TimeUnit.SECONDS) || p.exitValue() != 0) {
        throw new IllegalStateException("mkfifo failed");
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
