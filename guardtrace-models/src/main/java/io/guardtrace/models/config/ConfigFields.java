package io.guardtrace.models.config;

import com.fasterxml.jackson.databind.JsonNode;
import io.guardtrace.ModelLoadException;
import java.nio.file.Path;
import org.jspecify.annotations.Nullable;

/**
 * Range-checked reads of one JSON object of a model's configuration. Every number the engine sizes arrays,
 * loops or divisions with comes through here, so an absurd value (a billion layers, a zero window, a negative
 * context) is refused at load with a {@link ModelLoadException} naming the file and the field, instead of
 * surfacing later as an out-of-memory error, a division by zero or a native error on every request.
 *
 * <p>Whole numbers must be JSON integers ({@code 2.5}, {@code "2"} and {@code 1e9} are refused).
 *
 * @param node the object read
 * @param file the file it came from, for messages
 * @param prefix prepended to keys in messages, e.g. {@code vision_config.}; empty at the top level
 */
public record ConfigFields(JsonNode node, Path file, String prefix) {

  /**
   * The top-level object of {@code file}.
   *
   * @param node the object
   * @param file the file, for messages
   * @return the reader
   */
  public static ConfigFields of(JsonNode node, Path file) {
    return new ConfigFields(node, file, "");
  }

  /**
   * A nested object, whose keys messages show after {@code name.}.
   *
   * @param name the key of the nested object
   * @param nested the nested object
   * @return the reader
   */
  public ConfigFields nested(String name, JsonNode nested) {
    return new ConfigFields(nested, file, prefix + name + ".");
  }

  /**
   * The value of {@code key}, or null when absent or JSON null.
   *
   * @param key the key
   * @return the value or null
   */
  public @Nullable JsonNode get(String key) {
    JsonNode v = node.get(key);
    return v == null || v.isNull() ? null : v;
  }

  /**
   * A required whole number.
   *
   * @param key the key
   * @param min smallest accepted value
   * @param max largest accepted value
   * @return the value
   * @throws ModelLoadException when absent, not a whole number or out of range
   */
  public int requireInt(String key, int min, int max) {
    JsonNode v = get(key);
    if (v == null) {
      throw fail(key, "is required (a whole number from " + min + " to " + max + ")");
    }
    return checkInt(key, v, min, max);
  }

  /**
   * An optional whole number.
   *
   * @param key the key
   * @param fallback the value when the key is absent
   * @param min smallest accepted value
   * @param max largest accepted value
   * @return the value or {@code fallback}
   * @throws ModelLoadException when present but not a whole number or out of range
   */
  public int intOr(String key, int fallback, int min, int max) {
    JsonNode v = get(key);
    return v == null ? fallback : checkInt(key, v, min, max);
  }

  /**
   * {@code v}, the value of {@code key} (or of an array element described by {@code key}), as an int in range.
   *
   * @param key the key, for messages
   * @param v the value
   * @param min smallest accepted value
   * @param max largest accepted value
   * @return the value
   * @throws ModelLoadException when not a whole number or out of range
   */
  public int checkInt(String key, JsonNode v, int min, int max) {
    String range = min == max ? "the whole number " + min : "a whole number from " + min + " to " + max;
    if (!v.isIntegralNumber()) {
      throw fail(key, "must be " + range);
    }
    if (!v.canConvertToLong() || v.asLong() < min || v.asLong() > max) {
      throw fail(key, "is " + v.asText() + "; expected " + range);
    }
    return v.asInt();
  }

  /**
   * An optional finite number in {@code (minExclusive, max]}.
   *
   * @param key the key
   * @param fallback the value when the key is absent
   * @param minExclusive the value must be greater than this
   * @param max largest accepted value
   * @return the value or {@code fallback}
   * @throws ModelLoadException when present but not a number or out of range
   */
  public double doubleOr(String key, double fallback, double minExclusive, double max) {
    JsonNode v = get(key);
    return v == null ? fallback : checkDouble(key, v, minExclusive, max);
  }

  /**
   * {@code v} as a finite number in {@code (minExclusive, max]} ({@code -Double.MAX_VALUE} and
   * {@code Double.MAX_VALUE} for no bound).
   *
   * @param key the key, for messages
   * @param v the value
   * @param minExclusive the value must be greater than this
   * @param max largest accepted value
   * @return the value
   * @throws ModelLoadException when not a number or out of range
   */
  public double checkDouble(String key, JsonNode v, double minExclusive, double max) {
    String range = minExclusive == -Double.MAX_VALUE ? "a finite number"
        : max == Double.MAX_VALUE ? "a finite number greater than " + minExclusive
        : "a number greater than " + minExclusive + " and at most " + max;
    if (!v.isNumber()) {
      throw fail(key, "must be " + range);
    }
    double d = v.asDouble();
    if (!Double.isFinite(d) || d <= minExclusive || d > max) {
      throw fail(key, "is " + v.asText() + "; expected " + range);
    }
    return d;
  }

  /**
   * An optional boolean.
   *
   * @param key the key
   * @param fallback the value when the key is absent
   * @return the value or {@code fallback}
   * @throws ModelLoadException when present but not {@code true} or {@code false}
   */
  public boolean boolOr(String key, boolean fallback) {
    JsonNode v = get(key);
    if (v == null) {
      return fallback;
    }
    if (!v.isBoolean()) {
      throw fail(key, "must be true or false");
    }
    return v.asBoolean();
  }

  /**
   * An optional array whose length is in {@code [minLength, maxLength]}.
   *
   * @param key the key
   * @param minLength fewest elements
   * @param maxLength most elements
   * @return the array, or null when absent
   * @throws ModelLoadException when present but not an array of that length
   */
  public @Nullable JsonNode arrayOr(String key, int minLength, int maxLength) {
    JsonNode v = get(key);
    if (v == null) {
      return null;
    }
    if (!v.isArray() || v.size() < minLength || v.size() > maxLength) {
      throw fail(key, minLength == maxLength ? "must be a list of " + minLength + " values"
          : "must be a list of " + minLength + " to " + maxLength + " values");
    }
    return v;
  }

  /**
   * A {@link ModelLoadException} naming the file and {@code key}.
   *
   * @param key the key at fault
   * @param problem what is wrong, e.g. {@code is 0; expected ...}
   * @return the exception, to throw
   */
  public ModelLoadException fail(String key, String problem) {
    return new ModelLoadException(file + ": \"" + prefix + key + "\" " + problem);
  }
}
