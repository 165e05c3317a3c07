package io.guardtrace.models.kernel;

import java.nio.ByteBuffer;
import jdk.incubator.vector.IntVector;

/**
 * Reads memory the way the decode kernels stream weights (full-width vector loads, every thread on its own
 * chunks), to measure the read bandwidth they can hope for: the denominator of a decode step's floor. Rounds
 * alternate between one stream per chunk and {@link MatVec#SIDE_BY_SIDE} streams side by side, the kernels' two
 * ways ({@link StreamProbe}), and the best round counts: on an Intel Xeon with AMX a plain read reached 30 GB/s
 * with one stream per thread and 33 with several.
 */
public final class MemoryRead {
  private static final int CHUNK = 1 << 22; // bytes per chunk of the parallel loop

  private MemoryRead() {}

  /**
   * Reads all of {@code direct} once per round on {@code threads} and returns the best rate.
   *
   * @param direct the memory, already touched (its pages mapped); a multiple of 4 MiB long
   * @param threads the threads to read with
   * @param rounds how many passes to time
   * @return gigabytes (1e9 bytes) per second of the fastest pass
   */
  public static double gbPerSecond(ByteBuffer direct, KernelThreads threads, int rounds) {
    if (direct.capacity() % CHUNK != 0) {
      throw new IllegalArgumentException("buffer of " + direct.capacity() + " bytes is not a multiple of " + CHUNK);
    }
    Object source = VectorAccess.source(direct);
    int chunks = direct.capacity() / CHUNK;
    int[] sink = new int[threads.size() * 16];
    double best = 0;
    for (int r = 0; r < rounds; r++) {
      long t = System.nanoTime();
      boolean sideBySide = r % 2 == 1;
      threads.run(chunks, (c, w) -> sink[w * 16] += sideBySide
          ? readSideBySide(source, (long) c * CHUNK, (long) (c + 1) * CHUNK)
          : read(source, (long) c * CHUNK, (long) (c + 1) * CHUNK));
      best = Math.max(best, direct.capacity() / ((System.nanoTime() - t) / 1e9) / 1e9);
    }
    return best;
  }

  private static int read(Object source, long from, long to) {
    long step = VectorAccess.INTS.vectorByteSize();
    IntVector a = IntVector.zero(VectorAccess.INTS);
    IntVector b = a;
    IntVector c = a;
    IntVector d = a;
    for (long i = from; i < to; i += 4 * step) {
      a = a.add(VectorAccess.ints(source, i));
      b = b.add(VectorAccess.ints(source, i + step));
      c = c.add(VectorAccess.ints(source, i + 2 * step));
      d = d.add(VectorAccess.ints(source, i + 3 * step));
    }
    return a.add(b).add(c).add(d).lane(0);
  }

  /** {@code [from, to)} as four equal runs read side by side. */
  private static int readSideBySide(Object source, long from, long to) {
    long step = VectorAccess.INTS.vectorByteSize();
    long run = (to - from) / 4;
    IntVector a = IntVector.zero(VectorAccess.INTS);
    IntVector b = a;
    IntVector c = a;
    IntVector d = a;
    for (long i = from; i < from + run; i += step) {
      a = a.add(VectorAccess.ints(source, i));
      b = b.add(VectorAccess.ints(source, i + run));
      c = c.add(VectorAccess.ints(source, i + 2 * run));
      d = d.add(VectorAccess.ints(source, i + 3 * run));
    }
    return a.add(b).add(c).add(d).lane(0);
  }
}
