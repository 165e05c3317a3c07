package io.guardtrace.examples.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedWriter;
import java.io.Closeable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Collections;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;

/**
 * The predictions of one dataset file, a JSON-lines file that is appended to as each verdict arrives and read
 * back to resume an interrupted run. Each line is one item's row, tagged with the {@code run} key of the
 * settings it was made with (protocol version, model, system prompt, limits): on reading, a row counts only
 * under the same key, so a rerun with other settings, or a file written by an earlier version of
 * {@code eval} (rows without a key), predicts those items again rather than mixing verdicts. Error rows are
 * also predicted again. When an item has several rows, the last one counts.
 */
final class PredictionLog implements Closeable {
  private final Path file;
  private final String runKey;
  private final Map<Integer, JsonNode> rows;
  private final int ignored;
  private final BufferedWriter writer;

  private PredictionLog(Path file, String runKey, Map<Integer, JsonNode> rows, int ignored, BufferedWriter writer) {
    this.file = file;
    this.runKey = runKey;
    this.rows = rows;
    this.ignored = ignored;
    this.writer = writer;
  }

  /**
   * Reads the rows of {@code file} made under {@code runKey} (if the file exists) and opens it for appending.
   *
   * @throws UncheckedIOException when the file cannot be read or opened
   */
  static PredictionLog open(Path file, String runKey) {
    Map<Integer, JsonNode> rows = new ConcurrentHashMap<>();
    Set<Integer> other = new HashSet<>();
    try {
      if (Files.exists(file)) {
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
          JsonNode row = parse(line);
          if (row == null) {
            continue;
          }
          int index = row.get("index").asInt();
          if (runKey.equals(row.path("run").asText(null))) {
            rows.put(index, row);
            other.remove(index);
          } else if (!rows.containsKey(index)) {
            other.add(index);
          }
        }
      }
      boolean cutOff = Files.exists(file) && Files.size(file) > 0 && !endsWithNewline(file);
      BufferedWriter w = Files.newBufferedWriter(file, StandardCharsets.UTF_8, StandardOpenOption.CREATE,
          StandardOpenOption.APPEND);
      if (cutOff) {
        // the last row was cut off mid-line: end that line so the next row starts on its own
        w.newLine();
        w.flush();
      }
      return new PredictionLog(file, runKey, rows, other.size(), w);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read or open the predictions file " + file + ": " + e.getMessage(), e);
    }
  }

  private static boolean endsWithNewline(Path file) throws IOException {
    try (SeekableByteChannel ch = Files.newByteChannel(file)) {
      ByteBuffer last = ByteBuffer.allocate(1);
      ch.position(ch.size() - 1).read(last);
      return last.get(0) == '\n';
    }
  }

  /** One row, or null for a blank line or one cut off by an interrupted run (that item is predicted again). */
  private static @Nullable JsonNode parse(String line) {
    if (line.isBlank()) {
      return null;
    }
    try {
      JsonNode row = VerdictJson.JSON.readTree(line);
      return row != null && row.isObject() && row.path("index").isInt() ? row : null;
    } catch (IOException e) {
      return null;
    }
  }

  /** The file. */
  Path file() {
    return file;
  }

  /** The run key rows are tagged with. */
  String runKey() {
    return runKey;
  }

  /** Whether {@code index} has a row of this run that is not an error (it is not predicted again). */
  boolean isDone(int index) {
    JsonNode row = rows.get(index);
    return row != null && !row.has("error");
  }

  /** The rows of this run by item index (read back and appended since), unmodifiable. */
  Map<Integer, JsonNode> rows() {
    return Collections.unmodifiableMap(rows);
  }

  /** Items that had rows only from other settings or an earlier version of {@code eval}. */
  int ignoredItems() {
    return ignored;
  }

  /**
   * Appends {@code row} (tagged with the run key) and flushes it, so that an interrupted run keeps it.
   *
   * @throws UncheckedIOException when the file cannot be written
   */
  synchronized void append(ObjectNode row) {
    row.put("run", runKey);
    try {
      writer.write(VerdictJson.write(row));
      writer.newLine();
      writer.flush();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the predictions file " + file + ": " + e.getMessage(), e);
    }
    rows.put(row.get("index").asInt(), row);
  }

  @Override
  public synchronized void close() {
    try {
      writer.close();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot close the predictions file " + file + ": " + e.getMessage(), e);
    }
  }
}
