package io.guardtrace.models.kernel;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import io.guardtrace.models.torch.TorchOps;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** bf16 rounding exactly as libtorch's float32 to bfloat16 cast (round to nearest even). */
class Bf16Test {
  @Test
  void round_matchesLibtorchCastBitForBit() {
    Random r = new Random(3);
    float[] values = new float[100_000];
    for (int i = 0; i < values.length; i++) {
      values[i] = switch (i % 4) {
        case 0 -> (float) r.nextGaussian();
        case 1 -> Float.intBitsToFloat(r.nextInt()); // any bit pattern: NaNs, infinities, subnormals
        case 2 -> Float.intBitsToFloat((r.nextInt() & 0xffff0000) | 0x8000); // exact ties
        default -> (float) (r.nextGaussian() * 1e30);
      };
    }
    float[] torch;
    try (NDManager m = NDManager.newBaseManager(Device.cpu())) {
      TorchOps ops = TorchOps.on(Device.cpu());
      torch = ops.toF32(ops.toBf16(m.create(values))).toFloatArray();
    }
    for (int i = 0; i < values.length; i++) {
      if (Float.isNaN(values[i])) {
        // NaN payloads differ between libtorch's scalar and vector casts; a NaN stays a NaN
        assertThat(Bf16.round(values[i])).isNaN();
        assertThat(torch[i]).isNaN();
        continue;
      }
      assertThat(Float.floatToRawIntBits(Bf16.round(values[i]))).as("%s (%08x)", values[i],
          Float.floatToRawIntBits(values[i])).isEqualTo(Float.floatToRawIntBits(torch[i]));
    }
  }
}
