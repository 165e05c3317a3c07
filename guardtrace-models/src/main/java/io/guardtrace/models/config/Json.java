package io.guardtrace.models.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.guardtrace.ModelLoadException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import org.jspecify.annotations.Nullable;

/** Reading the model's JSON files with messages that name the file and the key at fault. */
public final class Json {
  /** One shared, thread-safe mapper. */
  public static final ObjectMapper MAPPER = new ObjectMapper();

  private Json() {}

  /**
   * Parses {@code file} into a tree; a missing or malformed file is a {@link ModelLoadException}.
   *
   * @param file a JSON file
   * @return its tree
   */
  public static JsonNode read(Path file) {
    try {
      JsonNode node = MAPPER.readTree(Files.readString(file));
      if (node == null || !node.isObject()) {
        throw new ModelLoadException(file + " is not a JSON object");
      }
      return node;
    } catch (NoSuchFileException e) {
      throw new ModelLoadException("model file " + file.getFileName() + " is missing from " + file.getParent(), e);
    } catch (IOException e) {
      throw new ModelLoadException("cannot parse " + file + ": " + e.getMessage(), e);
    }
  }

  /**
   * A required integer field.
   *
   * @param node the object to read from
   * @param key the field
   * @param file the file {@code node} came from, for the message
   * @return the field's value
   */
  public static int requireInt(JsonNode node, String key, Path file) {
    JsonNode v = node.get(key);
    if (v == null || !v.canConvertToInt()) {
      throw new ModelLoadException(file + ": required integer \"" + key + "\" is missing or invalid");
    }
    return v.asInt();
  }

  /**
   * An optional integer field.
   *
   * @param node the object to read from
   * @param key the field
   * @param fallback the value when the field is absent
   * @return the field's value or {@code fallback}
   */
  public static int intOr(JsonNode node, String key, int fallback) {
    JsonNode v = node.get(key);
    return v == null || v.isNull() ? fallback : v.asInt(fallback);
  }

  /**
   * An optional double field.
   *
   * @param node the object to read from
   * @param key the field
   * @param fallback the value when the field is absent
   * @return the field's value or {@code fallback}
   */
  public static double doubleOr(JsonNode node, String key, double fallback) {
    JsonNode v = node.get(key);
    return v == null || v.isNull() ? fallback : v.asDouble(fallback);
  }

  /**
   * An optional boolean field.
   *
   * @param node the object to read from
   * @param key the field
   * @param fallback the value when the field is absent
   * @return the field's value or {@code fallback}
   */
  public static boolean boolOr(JsonNode node, String key, boolean fallback) {
    JsonNode v = node.get(key);
    return v == null || v.isNull() ? fallback : v.asBoolean(fallback);
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
