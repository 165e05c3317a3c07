package io.guardtrace.models.kernel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.ByteBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** How the decode step's row-stream count is chosen: fixed by the property, or timed on enough weights. */
class StreamProbeTest {
  @BeforeAll
  static void kernelsAvailable() {
    assumeTrue(VectorKernels.available(), VectorKernels.describe());
  }

  @AfterEach
  void clearProperty() {
    System.clearProperty(StreamProbe.PROPERTY);
  }

  /** {@code count} matrices of {@code rows} x 2048 bf16 zeros (rows that stream). */
  private static Bf16Matrix[] matrices(int count, int rows) {
    Bf16Matrix[] m = new Bf16Matrix[count];
    for (int i = 0; i < count; i++) {
      m[i] = Bf16Matrix.of(ByteBuffer.allocateDirect(rows * 2048 * 2), rows, 2048);
    }
    return m;
  }

  @Test
  void thePropertyFixesTheChoiceWithoutTiming() {
    try (KernelThreads threads = new KernelThreads(2, "probe-test")) {
      Bf16Matrix[] small = matrices(2, 64);
      System.setProperty(StreamProbe.PROPERTY, "4");
      assertThat(StreamProbe.choose(small, 16, threads))
          .isEqualTo(new StreamProbe.Choice(MatVec.SIDE_BY_SIDE, "set by -Dguardtrace.kernelStreams"));
      System.setProperty(StreamProbe.PROPERTY, "1");
      assertThat(StreamProbe.choose(small, 16, threads).streams()).isEqualTo(1);
      System.setProperty(StreamProbe.PROPERTY, "2");
      assertThatThrownBy(() -> StreamProbe.choose(small, 16, threads))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("guardtrace.kernelStreams=2")
          .hasMessageContaining("1 or 4");
    }
  }

  @Test
  void smallModelsAreNotTimedAndKeepOneStream() {
    try (KernelThreads threads = new KernelThreads(2, "probe-test")) {
      StreamProbe.Choice c = StreamProbe.choose(matrices(3, 256), 64, threads);
      assertThat(c.streams()).isEqualTo(1);
      assertThat(c.reason()).isEqualTo("not timed: 3 MB of streaming weights");
    }
  }

  @Test
  void enoughWeightsAreTimedAndEitherChoiceIsReported() {
    // 288 MB of weights: past the probe's minimum, so both loops are timed; which wins is the machine's business
    try (KernelThreads threads = new KernelThreads(2, "probe-test")) {
      Bf16Matrix[] m = matrices(9, 8192);
      long bytes = 9L * 8192 * 2048 * 2;
      assertThat(bytes).isGreaterThanOrEqualTo(StreamProbe.MIN_BYTES);
      StreamProbe.Choice c = StreamProbe.choose(m, 512, threads);
      assertThat(c.streams()).isIn(1, MatVec.SIDE_BY_SIDE);
      assertThat(c.reason())
          .matches("timed at load in \\d+\\.\\d s: 4 side by side took \\d+\\.\\d\\dx the time of one");
      double ratio = Double.parseDouble(c.reason().replaceAll(".* took (\\S+)x .*", "$1"));
      assertThat(c.streams()).isEqualTo(ratio < StreamProbe.LOSS_LIMIT ? MatVec.SIDE_BY_SIDE : 1);
    }
  }
}
