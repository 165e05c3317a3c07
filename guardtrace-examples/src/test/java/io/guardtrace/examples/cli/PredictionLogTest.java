package io.guardtrace.examples.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The resumable predictions file. */
class PredictionLogTest {
  @Test
  void rowsOfThisRun_countAsDone_othersAndErrorsAreJudgedAgain(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("p.jsonl");
    Files.writeString(file, String.join("\n",
        // an earlier version of eval: no run key
        "{\"index\":0,\"image_name\":\"a.png\",\"label\":1.0,\"prediction\":1.0,\"parsed\":true}",
        "{\"index\":1,\"run\":\"other\",\"judgment\":0.0,\"parsed\":true}",
        "{\"index\":2,\"run\":\"k\",\"judgment\":1.0,\"parsed\":true}",
        "{\"index\":3,\"run\":\"k\",\"error\":\"engine failed\"}",
        "{\"index\":4,\"run\":\"k\",\"judgment\":0.0,\"parsed\":true}",
        "{\"index\":4,\"run\":\"k\",\"judgment\":0.5,\"parsed\":true}",
        "{\"index\":5,\"run\":\"k\",\"judg")); // cut off by an interrupted run, no newline
    try (PredictionLog log = PredictionLog.open(file, "k")) {
      assertThat(log.isDone(0)).isFalse();
      assertThat(log.isDone(1)).isFalse();
      assertThat(log.isDone(2)).isTrue();
      assertThat(log.isDone(3)).isFalse();
      assertThat(log.isDone(5)).isFalse();
      assertThat(log.rows().get(4).get("judgment").asDouble()).isEqualTo(0.5);
      assertThat(log.ignoredItems()).isEqualTo(2);
      log.append(VerdictJson.JSON.createObjectNode().put("index", 3).put("judgment", 0.0).put("parsed", true));
      assertThat(log.isDone(3)).isTrue();
    }
    assertThat(Files.readAllLines(file).get(7)).isEqualTo("{\"index\":3,\"judgment\":0.0,\"parsed\":true,\"run\":\"k\"}");
    try (PredictionLog again = PredictionLog.open(file, "k")) {
      assertThat(again.isDone(3)).isTrue();
      assertThat(again.rows()).containsOnlyKeys(2, 3, 4);
    }
  }

  @Test
  void newFile_isCreated(@TempDir Path dir) {
    Path file = dir.resolve("new.jsonl");
    try (PredictionLog log = PredictionLog.open(file, "k")) {
      assertThat(log.rows()).isEmpty();
      assertThat(log.ignoredItems()).isZero();
    }
    assertThat(file).exists();
  }
}
