package io.guardtrace.examples.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.guardtrace.QtaTrace;
import io.guardtrace.TraceImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * A trace file of the {@code detect} command: {@code {"question": ..., "thinking": ..., "answer": ...,
 * "images": ["path.png", ...]}}, image paths relative to the JSON file.
 */
final class TraceFile {
  private static final ObjectMapper JSON = new ObjectMapper();

  private TraceFile() {}

  static QtaTrace read(Path file) {
    JsonNode node;
    try {
      node = JSON.readTree(Files.readString(file));
    } catch (NoSuchFileException e) {
      throw new ExitCodes.BadInputException("trace file " + file + " does not exist");
    } catch (IOException e) {
      throw new ExitCodes.BadInputException("trace file " + file + " is not valid JSON: " + e.getMessage(), e);
    }
    if (node == null || !node.isObject()) {
      throw new ExitCodes.BadInputException("trace file " + file + " must hold a JSON object");
    }
    QtaTrace trace = QtaTrace.of(text(node, "question", file), text(node, "thinking", file),
        text(node, "answer", file));
    JsonNode images = node.get("images");
    if (images != null && !images.isNull()) {
      if (!images.isArray()) {
        throw new ExitCodes.BadInputException("trace file " + file + ": \"images\" must be a list of paths");
      }
      Path base = file.toAbsolutePath().getParent();
      for (JsonNode img : images) {
        Path p = Path.of(img.asText());
        trace = trace.withImage(TraceImage.ofPath(p.isAbsolute() ? p : base.resolve(p)));
      }
    }
    return trace;
  }

  private static String text(JsonNode node, String key, Path file) {
    JsonNode v = node.get(key);
    if (v == null || v.isNull()) {
      if (key.equals("thinking")) {
        return "";
      }
      throw new ExitCodes.BadInputException("trace file " + file + " has no \"" + key + "\" field");
    }
    if (!v.isTextual()) {
      throw new ExitCodes.BadInputException("trace file " + file + ": \"" + key + "\" must be a string");
    }
    return v.asText();
  }
}
