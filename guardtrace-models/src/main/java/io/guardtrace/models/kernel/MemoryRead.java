package io.guardtrace.models.kernel;

import java.nio.ByteBuffer;
import jdk.incubator.vector.IntVector;

/**
 * Reads memory the way the decode kernels stream weights (full-width vector loads, every thread on its own
 * chunks), to measure the read bandwidth they can hope for: the denominator of a decode step's floor.
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
      threads.run(chunks, (c, w) -> sink[w * 16] += read(source, (long) c * CHUNK, (long) (c + 1) * CHUNK));
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
}
