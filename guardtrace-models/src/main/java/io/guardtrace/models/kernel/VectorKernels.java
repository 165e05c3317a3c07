package io.guardtrace.models.kernel;

import org.jspecify.annotations.Nullable;

/**
 * Whether guardtrace's Java Vector API kernels can run in this JVM, and if not, why.
 *
 * <p>The Vector API is an incubator module in every JDK from 17 on: it is there, but only resolved when the JVM
 * is started with {@code --add-modules jdk.incubator.vector} (a manifest cannot ask for it). Without it the
 * engine keeps libtorch's kernels for every step. With it, bfloat16 decode steps on the CPU run on
 * {@link MatVec} and {@link DecodeAttention}, which read the weights at close to the machine's memory bandwidth
 * (docs/performance.md). {@code -Dguardtrace.vectorKernels=false} turns them off.
 *
 * <p>This class references no Vector API type, so it can be asked in any JVM; the kernel classes themselves
 * must only be touched once {@link #available()} is true.
 */
public final class VectorKernels {
  /** The incubator module the kernels need. */
  public static final String MODULE = "jdk.incubator.vector";

  private static final @Nullable String UNAVAILABLE = check();

  private VectorKernels() {}

  /**
   * Whether the kernels can run here.
   *
   * @return true when the Vector API module is resolved, a bf16 load path exists in this JDK's Vector API and
   *     the preferred vector size is at least 256 bits; false when any of that is missing or the kernels were
   *     turned off with {@code -Dguardtrace.vectorKernels=false}
   */
  public static boolean available() {
    return UNAVAILABLE == null;
  }

  /**
   * A one-line description for logs and benchmark output.
   *
   * @return which kernels decode bfloat16 on the CPU here, or why libtorch's are used
   */
  public static String describe() {
    return UNAVAILABLE == null ? "java-vector (" + VectorAccess.describe() + ")" : "libtorch: " + UNAVAILABLE;
  }

  /**
   * {@link #describe()} with how a loaded decoder uses the kernels, when they are available.
   *
   * @param detail a few words, for example how many row streams each thread reads
   * @return {@code "java-vector (<api>, <bits>-bit; <detail>)"}, or why libtorch's kernels are used
   */
  public static String describe(String detail) {
    return UNAVAILABLE == null ? "java-vector (" + VectorAccess.describe() + "; " + detail + ")" : describe();
  }

  private static @Nullable String check() {
    if ("false".equalsIgnoreCase(System.getProperty("guardtrace.vectorKernels"))) {
      return "Vector API kernels turned off (-Dguardtrace.vectorKernels=false)";
    }
    if (ModuleLayer.boot().findModule(MODULE).isEmpty()) {
      return "the JVM was started without --add-modules " + MODULE;
    }
    try {
      return VectorAccess.unsupportedReason();
    } catch (LinkageError | RuntimeException e) {
      return "the Vector API did not initialise: " + e;
    }
  }
}
