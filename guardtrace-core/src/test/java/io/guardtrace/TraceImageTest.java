package io.guardtrace;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Images read from files: only regular files, never more than the limit, whatever the file claims. */
class TraceImageTest {
  static final Duration NO_HANG = Duration.ofSeconds(20);

  @Test
  void ofPath_devZero_isRefusedBeforeItIsRead() {
    Path zero = SpecialFiles.devZero();
    TraceImage image = TraceImage.ofPath(zero);
    assertTimeoutPreemptively(NO_HANG, () -> assertThatThrownBy(image::bytes)
        .isInstanceOf(InvalidImageException.class).hasMessageContaining("/dev/zero")
        .hasMessageContaining("not a regular file"));
  }

  @Test
  void ofPath_fifo_isRefusedWithoutOpeningIt(@TempDir Path dir) throws Exception {
    Path fifo = SpecialFiles.fifo(dir.resolve("image.png"));
    try {
      TraceImage image = TraceImage.ofPath(fifo);
      assertTimeoutPreemptively(NO_HANG, () -> assertThatThrownBy(image::sha256)
          .isInstanceOf(InvalidImageException.class).hasMessageContaining("not a regular file"));
    } finally {
      SpecialFiles.unblock(fifo);
    }
  }

  @Test
  void ofPath_symlinkToFifo_isRefused_symlinkToRegularFile_isRead(@TempDir Path dir) throws Exception {
    Path fifo = SpecialFiles.fifo(dir.resolve("pipe"));
    Path toFifo = dir.resolve("pipe.png");
    Path real = Files.write(dir.resolve("real.bin"), new byte[] {7, 8, 9});
    Path toReal = dir.resolve("real.png");
    try {
      Files.createSymbolicLink(toFifo, fifo);
      Files.createSymbolicLink(toReal, real);
    } catch (UnsupportedOperationException | java.io.IOException e) {
      assumeTrue(false, "symbolic links unsupported here: " + e);
    }
    try {
      assertTimeoutPreemptively(NO_HANG, () -> assertThatThrownBy(() -> TraceImage.ofPath(toFifo).bytes())
          .isInstanceOf(InvalidImageException.class).hasMessageContaining("not a regular file"));
      assertThat(TraceImage.ofPath(toReal).bytes()).containsExactly(7, 8, 9);
    } finally {
      SpecialFiles.unblock(fifo);
    }
  }

  @Test
  void ofPath_directory_isRefused(@TempDir Path dir) {
    assertThatThrownBy(() -> TraceImage.ofPath(dir).bytes()).isInstanceOf(InvalidImageException.class)
        .hasMessageContaining("is a directory");
  }

  @Test
  void ofPath_regularFile_readsExactly_andMissingFileIsNamed(@TempDir Path dir) throws Exception {
    byte[] data = new byte[100_000];
    Arrays.fill(data, (byte) 3);
    data[99_999] = 4;
    Path f = Files.write(dir.resolve("big.png"), data);
    assertThat(TraceImage.ofPath(f).bytes()).isEqualTo(data);
    assertThat(TraceImage.ofPath(f)).isEqualTo(TraceImage.ofBytes(data));
    assertThatThrownBy(() -> TraceImage.ofPath(dir.resolve("gone.png")).size())
        .isInstanceOf(InvalidImageException.class).hasMessageContaining("gone.png").hasMessageContaining("not found");
  }

  /** An endless stream that counts what was read from it. */
  static final class Endless extends InputStream {
    long served;

    @Override
    public int read() {
      served++;
      return 0;
    }

    @Override
    public int read(byte[] b, int off, int len) {
      served += len;
      return len;
    }
  }

  @Test
  void readBounded_streamLongerThanItsReportedSize_stopsOneByteAfterTheLimit() {
    Endless endless = new Endless();
    assertThatThrownBy(() -> TraceImage.readBounded(endless, 0, 1_000_000, "endless"))
        .isInstanceOf(InvalidImageException.class).hasMessageContaining("more than the 1000000-byte limit");
    assertThat(endless.served).isEqualTo(1_000_001);
  }

  @Test
  void readBounded_anyReportedSize_returnsExactlyTheContent() throws Exception {
    byte[] data = new byte[50_000];
    for (int i = 0; i < data.length; i++) {
      data[i] = (byte) (i * 31);
    }
    for (long hint : new long[] {0, 1, 49_999, 50_000, 50_001, 10_000_000}) {
      assertThat(TraceImage.readBounded(new ByteArrayInputStream(data), hint, 1_000_000, "x")).as("hint " + hint)
          .isEqualTo(data);
    }
    assertThat(TraceImage.readBounded(new ByteArrayInputStream(data), 50_000, 50_000, "x")).isEqualTo(data);
    assertThatThrownBy(() -> TraceImage.readBounded(new ByteArrayInputStream(data), 0, 49_999, "x"))
        .isInstanceOf(InvalidImageException.class);
  }
}
