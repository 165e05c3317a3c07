package io.guardtrace.models;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The CPU's feature flags as Linux lists them ({@code /proc/cpuinfo}); empty elsewhere. Precision and weight
 * layout choices that depend on the instruction set read them here.
 */
public final class CpuFlags {
  private static final Set<String> FLAGS = read();

  private CpuFlags() {}

  /**
   * Whether the CPU multiplies bfloat16 natively: AVX512-BF16 or AMX.
   *
   * @return true when either flag is present
   */
  public static boolean bf16() {
    return FLAGS.contains("avx512_bf16") || amx();
  }

  /**
   * Whether the CPU has Intel's AMX tile units for bfloat16 ({@code amx_bf16}), which oneDNN's bf16 matrix
   * products use on weights in its packed layout.
   *
   * @return true when the flag is present
   */
  public static boolean amx() {
    return FLAGS.contains("amx_bf16");
  }

  private static Set<String> read() {
    try {
      List<String> lines = Files.readAllLines(Path.of("/proc/cpuinfo"));
      for (String line : lines) {
        if (line.startsWith("flags")) {
          int colon = line.indexOf(':');
          return Arrays.stream(line.substring(colon + 1).trim().split("\\s+")).collect(Collectors.toSet());
        }
      }
    } catch (IOException | RuntimeException e) {
      // not Linux, or not readable: no flags, so every choice takes its portable branch
    }
    return Set.of();
  }
}
