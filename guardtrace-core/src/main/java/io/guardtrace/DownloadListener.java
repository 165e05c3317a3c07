package io.guardtrace;

/**
 * Receives the progress of a model download (see {@link GuardTrace.Builder#downloadListener(DownloadListener)}).
 * guardtrace itself never prints progress: an application renders it (the {@code guardtrace} command draws a
 * progress bar on an interactive console) or logs it.
 *
 * <p>Called on the thread that builds the {@link GuardTrace}, in order: for every file that has to be fetched,
 * one event when its transfer starts ({@code bytesDone} is the size of a resumed partial file, else 0), events
 * as bytes arrive (at most one per MiB), and one with {@link DownloadProgress#fileDone()} once the file is
 * verified; a file already in the cache gets only the last. An exception thrown here is logged and ignored: it
 * never stops the download.
 */
@FunctionalInterface
public interface DownloadListener {

  /**
   * Reports progress.
   *
   * @param progress the file and how much of it is on disk
   */
  void onProgress(DownloadProgress progress);

  /**
   * A listener that ignores every event (the default).
   *
   * @return the no-op listener
   */
  static DownloadListener none() {
    return progress -> { };
  }
}
