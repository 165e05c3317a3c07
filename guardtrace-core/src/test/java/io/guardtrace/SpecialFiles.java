package io.guardtrace;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/** FIFOs and devices for tests of what happens when one is given as an image. */
final class SpecialFiles {
  private SpecialFiles() {}

  /** A new FIFO at {@code path} (skips the test where mkfifo is unavailable). */
  static Path fifo(Path path) throws Exception {
    Process p;
    try {
      p = new ProcessBuilder("mkfifo", path.toString()).redirectErrorStream(true).start();
    } catch (IOException e) {
      assumeTrue(false, "mkfifo is not available: " + e);
      throw e;
    }
    assumeTrue(p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0, "mkfifo failed");
    return path;
  }

  /**
   * Releases any thread blocked opening {@code fifo} for reading (a regression would leave one): opening it
   * read-write never blocks on Linux and gives the blocked reader a writer, then end-of-file.
   */
  static void unblock(Path fifo) {
    try (RandomAccessFile ignored = new RandomAccessFile(fifo.toFile(), "rw")) {
      // opened and closed
    } catch (IOException e) {
      // nothing was blocked on it, or it is gone
    }
  }

  /** {@code /dev/zero} (skips the test where it does not exist). */
  static Path devZero() {
    Path p = Path.of("/dev/zero");
    assumeTrue(Files.exists(p), "no /dev/zero on this system");
    return p;
  }
}
