package io.guardtrace.models.safetensors;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import io.guardtrace.ModelLoadException;
import io.guardtrace.models.config.Json;
import io.guardtrace.models.config.Untrusted;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The JSON header of a safetensors file, checked as the format's reference implementation checks it: UTF-8,
 * one object, no duplicate keys, {@code __metadata__} a map of strings to strings, every tensor entry
 * well-formed ({@link TensorInfo#fromHeader}), and the tensors' byte ranges covering the data section exactly:
 * sorted by offset, each starts where the previous one ends, the first at 0 and the last at the end of the
 * file. So no two tensors share bytes and no byte lies outside every tensor.
 *
 * @param tensors the tensors by name, in header order
 * @param metadata the {@code __metadata__} entries
 */
record SafetensorsHeader(Map<String, TensorInfo> tensors, Map<String, String> metadata) {
  private static final String METADATA = "__metadata__";

  /** Tensor entries are read with duplicate keys refused (the top level is checked by hand, naming the key). */
  private static final ObjectMapper STRICT =
      new ObjectMapper().enable(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY);

  /**
   * Parses and checks the header {@code bytes} of {@code file}, whose data section holds {@code dataSize} bytes.
   *
   * @throws ModelLoadException naming the file and, where one is at fault, the tensor; never echoing bytes
   */
  static SafetensorsHeader parse(Path file, byte[] bytes, long dataSize) {
    String text = utf8(file, bytes);
    Map<String, TensorInfo> tensors = new LinkedHashMap<>();
    Map<String, String> metadata = new LinkedHashMap<>();
    try (JsonParser p = STRICT.getFactory().createParser(text)) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        throw new ModelLoadException("weights file " + file + " has a safetensors header that is not a JSON object");
      }
      Set<String> seen = new HashSet<>();
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String name = p.currentName();
        if (!seen.add(name)) {
          throw new ModelLoadException("weights file " + file + " has a safetensors header naming "
              + Untrusted.quote(name) + " twice (duplicate keys are not allowed)");
        }
        p.nextToken();
        JsonNode value;
        try {
          value = STRICT.readTree(p);
        } catch (MismatchedInputException e) {
          throw new ModelLoadException("weights file " + file + " has a duplicate key in the header entry of "
              + Untrusted.quote(name), e);
        }
        if (name.equals(METADATA)) {
          metadata(file, value, metadata);
        } else {
          tensors.put(name, TensorInfo.fromHeader(file, name, value));
        }
      }
      if (p.currentToken() != JsonToken.END_OBJECT || p.nextToken() != null) {
        throw new ModelLoadException("weights file " + file + " has content after its safetensors header object");
      }
    } catch (JsonProcessingException e) {
      // no cause: the parser's own message quotes the text it stopped at
      throw new ModelLoadException("weights file " + file + " has an unparseable safetensors header (not valid"
          + " JSON" + Json.at(e.getLocation()) + ")");
    } catch (IOException e) {
      throw new ModelLoadException("cannot parse the safetensors header of " + file + ": "
          + e.getClass().getSimpleName(), e);
    }
    requireExactCover(file, tensors, dataSize);
    return new SafetensorsHeader(Collections.unmodifiableMap(tensors), Collections.unmodifiableMap(metadata));
  }

  private static String utf8(Path file, byte[] bytes) {
    try {
      return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
    } catch (CharacterCodingException e) {
      throw new ModelLoadException("weights file " + file + " has a safetensors header that is not UTF-8 text", e);
    }
  }

  private static void metadata(Path file, JsonNode value, Map<String, String> out) {
    if (!value.isObject()) {
      throw new ModelLoadException("weights file " + file + " has a __metadata__ entry that is not an object");
    }
    for (Iterator<Map.Entry<String, JsonNode>> it = value.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> m = it.next();
      if (!m.getValue().isTextual()) {
        throw new ModelLoadException("weights file " + file + " has __metadata__ value " + Untrusted.quote(m.getKey())
            + " that is not a string (the format allows strings only)");
      }
      out.put(m.getKey(), m.getValue().asText());
    }
  }

  /** Tensors sorted by offsets must tile [0, dataSize) with neither overlaps nor holes. */
  private static void requireExactCover(Path file, Map<String, TensorInfo> tensors, long dataSize) {
    for (TensorInfo info : tensors.values()) {
      if (info.end() > dataSize) {
        throw new ModelLoadException("weights file " + file + " is truncated: tensor " + Untrusted.quote(info.name())
            + " ends at byte " + info.end() + " of the data section but the file holds only " + dataSize
            + " data bytes (re-download the file)");
      }
    }
    List<TensorInfo> sorted = new ArrayList<>(tensors.values());
    sorted.sort(Comparator.comparingLong(TensorInfo::begin).thenComparingLong(TensorInfo::end));
    long covered = 0;
    TensorInfo previous = null;
    for (TensorInfo t : sorted) {
      if (t.begin() < covered) {
        throw new ModelLoadException("weights file " + file + ": tensors " + Untrusted.quote(previous.name()) + " and "
            + Untrusted.quote(t.name()) + " overlap (bytes from " + t.begin() + " are claimed twice)");
      }
      if (t.begin() > covered) {
        throw new ModelLoadException("weights file " + file + ": tensor " + Untrusted.quote(t.name()) + " starts at byte "
            + t.begin() + " but the tensors before it end at byte " + covered
            + " (the format requires the tensors to cover the data section without gaps)");
      }
      covered = t.end();
      previous = t;
    }
    if (covered != dataSize) {
      throw new ModelLoadException("weights file " + file + " has " + (dataSize - covered)
          + " bytes after its last tensor (the format requires the tensors to end at the end of the file)");
    }
  }
}
