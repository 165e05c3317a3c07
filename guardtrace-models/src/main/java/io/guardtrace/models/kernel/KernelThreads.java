package io.guardtrace.models.kernel;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import org.jspecify.annotations.Nullable;

/**
 * The threads a decode step's parallel loops run on: the calling thread plus {@code size - 1} daemon workers.
 * A loop is split into chunks handed out in order from a shared counter, so a core slowed by something else
 * on the machine simply takes fewer chunks. Results do not depend on which thread ran a chunk: every kernel
 * computes each output element the same way wherever it runs.
 *
 * <p>A decode step runs about five loops per layer back to back, so workers spin for a short while after a
 * loop before they park; between steps they sleep. One loop at a time: callers serialise ({@link #run} is not
 * reentrant). Thread-safe otherwise.
 */
public final class KernelThreads implements AutoCloseable {
  /** How long an idle worker spins before it parks, in nanoseconds. */
  private static final long SPIN_NANOS = 50_000;

  /** The body of a parallel loop. */
  @FunctionalInterface
  public interface Body {
    /**
     * Runs one chunk.
     *
     * @param chunk the chunk index, {@code [0, chunks)}
     * @param worker the index of the thread running it, {@code [0, size)}: for per-thread scratch memory
     */
    void run(int chunk, int worker);
  }

  private static final class Loop {
    final Body body;
    final int chunks;
    final AtomicInteger next = new AtomicInteger();
    final AtomicInteger done = new AtomicInteger();
    volatile @Nullable Throwable failure;

    Loop(Body body, int chunks) {
      this.body = body;
      this.chunks = chunks;
    }

    void work(int worker) {
      for (int c; (c = next.getAndIncrement()) < chunks; ) {
        try {
          if (failure == null) {
            body.run(c, worker);
          }
        } catch (Throwable t) {
          failure = t;
        } finally {
          done.incrementAndGet();
        }
      }
    }
  }

  private final class Worker extends Thread {
    final int index;
    volatile boolean parked;

    Worker(String name, int index) {
      super(name + "-" + index);
      this.index = index;
      setDaemon(true);
    }

    @Override
    public void run() {
      Loop seen = null;
      while (!closed) {
        Loop loop = current;
        if (loop != null && loop != seen) {
          seen = loop;
          loop.work(index);
          continue;
        }
        long idleSince = System.nanoTime();
        while ((loop = current) == seen && !closed) {
          if (System.nanoTime() - idleSince < SPIN_NANOS) {
            Thread.onSpinWait();
          } else {
            parked = true;
            if (current == seen && !closed) {
              LockSupport.park(KernelThreads.this);
            }
            parked = false;
            idleSince = System.nanoTime();
          }
        }
      }
    }
  }

  private final Worker[] workers;
  private volatile @Nullable Loop current;
  private volatile boolean closed;

  /**
   * Starts {@code size - 1} workers.
   *
   * @param size threads per loop, the caller included; at least 1
   * @param name the workers' name prefix
   */
  public KernelThreads(int size, String name) {
    if (size < 1) {
      throw new IllegalArgumentException("size " + size);
    }
    workers = new Worker[size - 1];
    for (int i = 0; i < workers.length; i++) {
      workers[i] = new Worker(name, i + 1);
      workers[i].start();
    }
  }

  /**
   * Threads per loop, the caller included.
   *
   * @return the thread count
   */
  public int size() {
    return workers.length + 1;
  }

  /**
   * Runs {@code body} for chunks {@code 0..chunks-1} on the caller and the workers and returns when all are
   * done.
   *
   * @param chunks how many chunks
   * @param body what each chunk does
   * @throws RuntimeException or Error: the first thrown by a chunk (the remaining chunks are skipped)
   */
  public void run(int chunks, Body body) {
    if (closed) {
      throw new IllegalStateException("kernel threads are closed");
    }
    Loop loop = new Loop(body, chunks);
    if (chunks > 1) {
      current = loop;
      for (Worker w : workers) {
        if (w.parked) {
          LockSupport.unpark(w);
        }
      }
    }
    loop.work(0);
    while (loop.done.get() < chunks) {
      Thread.onSpinWait();
    }
    Throwable t = loop.failure;
    if (t instanceof RuntimeException r) {
      throw r;
    }
    if (t instanceof Error e) {
      throw e;
    }
    if (t != null) {
      throw new IllegalStateException(t);
    }
  }

  /** Stops the workers. */
  @Override
  public void close() {
    closed = true;
    for (Worker w : workers) {
      LockSupport.unpark(w);
    }
  }
}
