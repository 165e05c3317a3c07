package io.guardtrace.models.hub;

import io.guardtrace.DownloadListener;
import io.guardtrace.DownloadProgress;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reports one download's progress to the application's listener: at most one event per MiB, and a listener that
 * throws is logged once and otherwise ignored (a progress bar must never break a download).
 */
final class DownloadEvents {
  private static final Logger LOG = LoggerFactory.getLogger(DownloadEvents.class);
  private static final long STEP = 1L << 20;

  private final DownloadListener listener;
  private final String modelId;
  private final int fileCount;
  private boolean listenerFailed;

  DownloadEvents(DownloadListener listener, String modelId, int fileCount) {
    this.listener = listener;
    this.modelId = modelId;
    this.fileCount = fileCount;
  }

  /** The progress of file {@code index} (from 1) named {@code file}. */
  FileEvents file(int index, String file, long totalBytes) {
    return new FileEvents(index, file, totalBytes);
  }

  /** The events of one file. */
  final class FileEvents {
    private final int index;
    private final String file;
    private final long total;
    private long lastReported = -1;

    private FileEvents(int index, String file, long total) {
      this.index = index;
      this.file = file;
      this.total = total;
    }

    /** The transfer starts (or resumes) with {@code done} bytes already on disk. */
    void started(long done) {
      lastReported = done;
      send(done, false);
    }

    /** {@code done} bytes are on disk; reported when a MiB or more arrived since the last report. */
    void advanced(long done) {
      if (done - lastReported >= STEP) {
        lastReported = done;
        send(done, false);
      }
    }

    /** The file is complete and verified ({@code size} bytes). */
    void finished(long size) {
      send(size, true);
    }

    private void send(long done, boolean fileDone) {
      try {
        listener.onProgress(new DownloadProgress(modelId, file, index, fileCount, done, total, fileDone));
      } catch (RuntimeException e) {
        if (!listenerFailed) {
          listenerFailed = true;
          LOG.warn("the download listener failed; the download goes on without it", e);
        }
      }
    }
  }
}
