package io.guardtrace.examples.bench;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.core.Linear;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import io.guardtrace.models.DjlDefaults;
import io.guardtrace.models.kernel.Bf16Matrix;
import io.guardtrace.models.kernel.KernelThreads;
import io.guardtrace.models.kernel.MatVec;
import io.guardtrace.models.torch.TorchOps;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One decode step's matrix-vector products alone: a bf16 input vector times eight {@code (22016, 2048)} bf16
 * matrices (the 3B's fused gate/up shape; 721 MB, far more than any cache), on guardtrace's Java kernel
 * ({@code java}, every thread of libtorch's pool count) or libtorch's bf16 linear ({@code libtorch}). The weight
 * bytes divided by the score are the rate a decode step can stream its weights at.
 *
 * <pre>java -cp 'guardtrace-examples/target/guardtrace.jar:guardtrace-examples/target/lib/*' \
 *   org.openjdk.jmh.Main DecodeKernel</pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 10, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-Dai.djl.offline=true"})
public class DecodeKernelBenchmark {
  private static final int ROWS = 22016;
  private static final int COLS = 2048;
  private static final int MATRICES = 8;

  @Param({"java", "libtorch"})
  public String kernel;

  private NDManager manager;
  private NDArray[] weights;
  private NDArray input;
  private Bf16Matrix[] matrices;
  private KernelThreads threads;
  private float[] even;
  private float[] odd;
  private float[] out;
  private float[][] lanes;

  @Setup(Level.Trial)
  public void setUp() {
    DjlDefaults.apply();
    manager = NDManager.newBaseManager(Device.cpu(), "PyTorch");
    TorchOps ops = TorchOps.on(Device.cpu());
    weights = new NDArray[MATRICES];
    matrices = new Bf16Matrix[MATRICES];
    for (int i = 0; i < MATRICES; i++) {
      try (NDArray f32 = manager.randomNormal(0, 0.02f, new Shape(ROWS, COLS), ai.djl.ndarray.types.DataType.FLOAT32)) {
        weights[i] = ops.toBf16(f32);
      }
      matrices[i] = Bf16Matrix.of(JniUtils.getByteBuffer((PtNDArray) weights[i], true), ROWS, COLS);
    }
    try (NDArray f32 = manager.randomNormal(new Shape(1, COLS))) {
      input = ops.toBf16(f32);
      float[] x = ops.toF32(input).toFloatArray();
      even = new float[COLS / 2];
      odd = new float[COLS / 2];
      for (int i = 0; i < COLS / 2; i++) {
        even[i] = x[2 * i];
        odd[i] = x[2 * i + 1];
      }
    }
    out = new float[ROWS];
    int n = Math.max(1, JniUtils.getNumThreads());
    threads = new KernelThreads(n, "bench-kernel");
    lanes = new float[n][MatVec.lanes()];
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    threads.close();
    manager.close();
  }

  @Benchmark
  public float step() {
    if (kernel.equals("java")) {
      int rows = 32;
      for (Bf16Matrix m : matrices) {
        threads.run(ROWS / rows, (c, w) -> MatVec.dots(m, c * rows, (c + 1) * rows, even, odd, 0, out,
            c * rows, lanes[w]));
      }
      return out[0];
    }
    float sink = 0;
    for (NDArray w : weights) {
      try (NDArray y = Linear.linear(input, w).singletonOrThrow()) {
        sink += y.getShape().get(1);
      }
    }
    return sink;
  }
}
