package io.guardtrace.models.text;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDManager;
import io.guardtrace.models.Fixtures;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The greedy choice with the repetition penalty, computed in Java, against the same formula in libtorch
 * (transformers' RepetitionPenaltyLogitsProcessor, then argmax): the same id on every draw.
 */
class RepetitionPenaltyTest {
  @Test
  void choose_picksWhatLibtorchsWhereAndArgMaxPick() {
    Random r = new Random(9);
    int vocab = 5000;
    try (NDManager m = NDManager.newBaseManager(Fixtures.device(), "PyTorch")) {
      for (int draw = 0; draw < 200; draw++) {
        float penalty = draw % 2 == 0 ? 1.05f : 1.3f;
        float[] logits = new float[vocab];
        boolean[] seen = new boolean[vocab];
        float[] mask = new float[vocab];
        for (int i = 0; i < vocab; i++) {
          // bf16-like coarse values so that penalised and unpenalised logits often tie or cross
          logits[i] = Math.round(r.nextGaussian() * 8) / 4f;
          seen[i] = r.nextInt(4) == 0;
          mask[i] = seen[i] ? 1f : 0f;
        }
        int expected;
        try (NDArray l = m.create(logits);
            NDArray s = m.create(mask)) {
          NDArray penalised = NDArrays.where(l.lt(0f), l.mul(penalty), l.div(penalty));
          expected = (int) NDArrays.where(s.eq(1f), penalised, l).argMax().getLong();
          assertThat(Generator.choose(l, seen, penalty)).as("draw %d", draw).isEqualTo(expected);
          assertThat(Generator.choose(l, null, penalty)).isEqualTo((int) l.argMax().getLong());
        }
      }
    }
  }
}
