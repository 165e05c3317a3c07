package io.guardtrace.models.config;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.guardtrace.ModelLoadException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import org.jspecify.annotations.Nullable;

/**
 * Reading the model's JSON files with messages that name the file and the key at fault, and never the
 * file's contents (a parse error reports where, not what).
 */
public final class Json {
  /** One shared, thread-safe mapper. */
  public static final ObjectMapper MAPPER = new ObjectMapper();

  /**
   * Largest JSON file of a model read (published tokenizer.json files are a few MB, configs a few KB); a
   * larger one is refused before it fills the heap.
   */
  public static final long MAX_FILE_BYTES = 64L << 20;

  private Json() {}

  /**
   * Parses {@code file} into a tree.
   *
   * @param file a JSON file holding an object
   * @return the object
   * @throws ModelLoadException when the file is missing, not a regular file, too large, or not a JSON object
   */
  public static JsonNode read(Path file) {
    return parseObject(readBytes(file), file);
  }

  /**
   * The bytes of {@code file}, read only if it is a regular file, and at most {@link #MAX_FILE_BYTES} of them
   * whatever size the file claims.
   *
   * @param file the file
   * @return its contents
   * @throws ModelLoadException when the file is missing, not a regular file, or too large
   */
  public static byte[] readBytes(Path file) {
    if (!Files.exists(file)) {
      throw new ModelLoadException("model file " + file.getFileName() + " is missing from " + file.getParent());
    }
    if (!Files.isRegularFile(file)) {
      throw new ModelLoadException(file + " is not a regular file (a directory, FIFO or device)");
    }
    try (InputStream in = Files.newInputStream(file)) {
      byte[] bytes = in.readNBytes((int) MAX_FILE_BYTES + 1);
      if (bytes.length > MAX_FILE_BYTES) {
        throw new ModelLoadException(file + " is larger than " + (MAX_FILE_BYTES >> 20) + " MiB; not a model file");
      }
      return bytes;
    } catch (NoSuchFileException e) {
      throw new ModelLoadException("model file " + file.getFileName() + " is missing from " + file.getParent(), e);
    } catch (IOException e) {
      throw new ModelLoadException("cannot read " + file + ": " + e, e);
    }
  }

  /**
   * Parses {@code bytes}, the contents of {@code file}, into a JSON object.
   *
   * @param bytes the file's contents
   * @param file the file, for messages
   * @return the object
   * @throws ModelLoadException when the bytes are not a JSON object; the message gives the position only
   */
  public static JsonNode parseObject(byte[] bytes, Path file) {
    JsonNode node;
    try {
      node = MAPPER.readTree(bytes);
    } catch (JsonProcessingException e) {
      // no cause: the parser's own message quotes the text it stopped at
      throw new ModelLoadException("cannot parse " + file + ": not valid JSON" + at(e.getLocation()));
    } catch (IOException e) {
      throw new ModelLoadException("cannot parse " + file + ": " + e, e);
    }
    if (node == null || !node.isObject()) {
      throw new ModelLoadException(file + " is not a JSON object");
    }
    return node;
  }

  /**
   * Where a parse error happened, without the text there.
   *
   * @param where the parser's location, or null
   * @return {@code " at line L, column C"}, or empty when unknown
   */
  public static String at(@Nullable JsonLocation where) {
    return where == null || where.getLineNr() < 0 ? ""
        : " at line " + where.getLineNr() + ", column " + where.getColumnNr();
  }

  /**
   * The first of {@code keys} present in {@code node}, or null.
   *
   * @param node the object to search
   * @param keys field names, in order of preference
   * @return the first field present, or null
   */
  public static @Nullable JsonNode first(JsonNode node, String... keys) {
    for (String k : keys) {
      JsonNode v = node.get(k);
      if (v != null && !v.isNull()) {
        return v;
      }
    }
    return null;
  }
}
