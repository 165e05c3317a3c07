package io.guardtrace.examples.cli;

import io.guardtrace.models.synth.SyntheticCheckpoint;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;

/**
 * The {@code --model demo} checkpoint: a tiny random-weight Qwen2.5-VL with a generated tokenizer, built on
 * the spot (seeded, so always the same) in the temporary directory and reused. Its verdicts are meaningless;
 * it shows the pipeline working without a download. Public for the Spark job, whose executors each build it.
 */
public final class DemoModel {
  static final long SEED = 20261128L;

  private DemoModel() {}

  /**
   * The demo checkpoint's directory, built first if it is not there yet (safe against concurrent builders).
   *
   * @param err where the "verdicts are meaningless" notice is printed
   * @return the checkpoint directory
   */
  public static Path directory(PrintWriter err) {
    Path dir = Path.of(System.getProperty("java.io.tmpdir"), "guardtrace-demo-model-v1");
    err.println("guardtrace: --model demo is a tiny random-weight model built on the spot: its verdicts are "
        + "meaningless. Pass --model DIR or a Hugging Face id for real verdicts.");
    err.flush();
    if (Files.isRegularFile(dir.resolve("model.safetensors"))) {
      return dir;
    }
    try {
      Path tmp = Files.createTempDirectory(dir.getParent(), "guardtrace-demo-");
      SyntheticCheckpoint.write(tmp, SyntheticCheckpoint.TINY, SEED, SyntheticCheckpoint.DEFAULT_SHARD_BYTES);
      try {
        Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
      } catch (FileAlreadyExistsException | AtomicMoveNotSupportedException e) {
        // another process built it first (or a stale partial copy is in the way): keep theirs or replace it
        if (!Files.isRegularFile(dir.resolve("model.safetensors"))) {
          delete(dir);
          Files.move(tmp, dir);
        } else {
          delete(tmp);
        }
      }
      return dir;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot build the demo model in " + dir, e);
    }
  }

  private static void delete(Path p) throws IOException {
    if (!Files.exists(p)) {
      return;
    }
    try (var s = Files.walk(p)) {
      for (Path f : (Iterable<Path>) s.sorted(Comparator.reverseOrder())::iterator) {
        Files.delete(f);
      }
    }
  }
}
