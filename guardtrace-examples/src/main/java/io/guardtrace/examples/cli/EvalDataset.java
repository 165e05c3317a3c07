package io.guardtrace.examples.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * One GuardTrace-Test file: a JSON list of items. The reference evaluates one such file per run and the test
 * set ships one per source, so the file is the source of its items.
 *
 * @param file the file
 * @param items its items, in order
 */
record EvalDataset(Path file, List<EvalItem> items) {

  EvalDataset {
    items = List.copyOf(items);
  }

  /**
   * Reads and checks every item of {@code file}.
   *
   * @throws ExitCodes.BadInputException when the file cannot be read, is not a JSON list, or has a bad item
   */
  static EvalDataset read(Path file) {
    JsonNode root;
    try {
      root = VerdictJson.JSON.readTree(Files.readString(file));
    } catch (IOException e) {
      throw new ExitCodes.BadInputException("cannot read dataset " + file + ": " + e.getMessage(), e);
    }
    if (root == null || !root.isArray()) {
      throw new ExitCodes.BadInputException("dataset " + file + " must be a JSON list of items");
    }
    List<EvalItem> items = new ArrayList<>(root.size());
    for (int i = 0; i < root.size(); i++) {
      items.add(EvalItem.read(root.get(i), i, file));
    }
    return new EvalDataset(file, items);
  }

  /** The paper's source this file holds, when its name says. */
  Optional<GuardTraceTestSet.Source> paperSource() {
    return GuardTraceTestSet.Source.ofFile(file.getFileName().toString());
  }

  /** The name its items are reported under: the paper's source name, else the file name without extension. */
  String sourceName() {
    return paperSource().map(GuardTraceTestSet.Source::label)
        .orElseGet(() -> file.getFileName().toString().replaceFirst("\\.[^.]*$", ""));
  }

  /** Whether any item names an image. */
  boolean namesImages() {
    return items.stream().anyMatch(EvalItem::hasImage);
  }
}
