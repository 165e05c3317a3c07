package io.guardtrace.examples.cli;

import io.guardtrace.DownloadListener;
import io.guardtrace.DownloadProgress;
import java.io.PrintWriter;
import java.util.Locale;

/**
 * Shows a model download on stderr. On an interactive console: one progress bar per file, redrawn in place.
 * Otherwise (stderr in a log file or a pipe): one line when a file starts, one per 256 MiB, one when it is
 * done, so that logs stay short. Files found in the cache print nothing.
 */
final class DownloadProgressPrinter implements DownloadListener {
  static final long LINE_EVERY = 256L << 20;
  private static final int BAR = 30;

  private final PrintWriter err;
  private final boolean terminal;
  private String current = "";
  private long lastLine;
  private int lastPercent = -1;

  DownloadProgressPrinter(PrintWriter err, boolean terminal) {
    this.err = err;
    this.terminal = terminal;
  }

  /** A printer for this process: a bar when the console is interactive. */
  static DownloadProgressPrinter forConsole(PrintWriter err) {
    return new DownloadProgressPrinter(err, System.console() != null);
  }

  @Override
  public void onProgress(DownloadProgress p) {
    boolean starts = !p.file().equals(current);
    if (starts && p.fileDone()) {
      return; // already cached
    }
    if (starts) {
      current = p.file();
      lastLine = p.bytesDone();
      lastPercent = -1;
      if (!terminal) {
        line(p, "downloading");
      }
    }
    if (terminal) {
      bar(p);
    } else if (p.fileDone()) {
      line(p, "downloaded");
    } else if (p.bytesDone() - lastLine >= LINE_EVERY) {
      lastLine = p.bytesDone();
      line(p, "downloading");
    }
    if (p.fileDone()) {
      current = "";
    }
    err.flush();
  }

  private void line(DownloadProgress p, String verb) {
    err.printf(Locale.ROOT, "guardtrace: %s %s [%d/%d] %s%n", verb, p.file(), p.fileIndex(), p.fileCount(),
        amount(p));
  }

  private void bar(DownloadProgress p) {
    int percent = p.sizeKnown() && p.totalBytes() > 0 ? (int) (100 * p.bytesDone() / p.totalBytes()) : -1;
    if (percent == lastPercent && !p.fileDone()) {
      return;
    }
    lastPercent = percent;
    int filled = percent < 0 ? 0 : percent * BAR / 100;
    err.printf(Locale.ROOT, "\r%-36s [%d/%d] [%s%s] %s", p.file(), p.fileIndex(), p.fileCount(), "#".repeat(filled),
        ".".repeat(BAR - filled), amount(p));
    if (p.fileDone()) {
      err.println();
    }
  }

  private static String amount(DownloadProgress p) {
    return p.sizeKnown() ? size(p.bytesDone()) + " of " + size(p.totalBytes()) : size(p.bytesDone());
  }

  static String size(long bytes) {
    if (bytes >= 1L << 30) {
      return String.format(Locale.ROOT, "%.1f GiB", bytes / (double) (1L << 30));
    }
    if (bytes >= 1L << 20) {
      return String.format(Locale.ROOT, "%.1f MiB", bytes / (double) (1L << 20));
    }
    return bytes + " B";
  }
}
