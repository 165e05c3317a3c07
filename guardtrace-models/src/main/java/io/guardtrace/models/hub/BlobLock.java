package io.guardtrace.models.hub;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Exclusive right to download one blob, across threads and processes, as huggingface_hub's {@code .lock} files
 * give it: an OS file lock on {@code blobs/<name>.lock}. Without it two processes appended to the same
 * {@code .incomplete} file and corrupted it. A JVM holds file locks per process, so threads of one JVM first
 * take an in-process lock on the same path. The lock file stays (empty) after use, as huggingface_hub's do:
 * deleting it would race with a process about to lock it.
 */
final class BlobLock implements AutoCloseable {
  private static final ConcurrentHashMap<Path, ReentrantLock> IN_PROCESS = new ConcurrentHashMap<>();

  private final ReentrantLock threadLock;
  private final FileChannel channel;
  private final FileLock fileLock;

  private BlobLock(ReentrantLock threadLock, FileChannel channel, FileLock fileLock) {
    this.threadLock = threadLock;
    this.channel = channel;
    this.fileLock = fileLock;
  }

  /** Waits until this thread holds the lock for {@code blob}. */
  static BlobLock acquire(Path blob) throws IOException, InterruptedException {
    Path lockFile = blob.resolveSibling(blob.getFileName() + ".lock").toAbsolutePath().normalize();
    ReentrantLock threadLock = IN_PROCESS.computeIfAbsent(lockFile, p -> new ReentrantLock());
    threadLock.lockInterruptibly();
    FileChannel channel = null;
    try {
      channel = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
      return new BlobLock(threadLock, channel, channel.lock());
    } catch (IOException | RuntimeException e) {
      if (channel != null) {
        channel.close();
      }
      threadLock.unlock();
      throw e;
    }
  }

  @Override
  public void close() throws IOException {
    try {
      fileLock.release();
      channel.close();
    } finally {
      threadLock.unlock();
    }
  }
}
