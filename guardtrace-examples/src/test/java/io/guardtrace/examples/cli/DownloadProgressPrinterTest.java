package io.guardtrace.examples.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.guardtrace.DownloadProgress;
import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;

/** How the command shows a download: a bar on a console, a few lines in a log, nothing for cached files. */
class DownloadProgressPrinterTest {
  static final long MIB = 1L << 20;

  static String render(boolean terminal) {
    StringWriter s = new StringWriter();
    DownloadProgressPrinter p = new DownloadProgressPrinter(new PrintWriter(s), terminal);
    p.onProgress(new DownloadProgress("org/m", "config.json", 1, 2, 1200, 1200, true)); // cached
    long total = 600 * MIB;
    for (long done = 0; done < total; done += MIB) {
      p.onProgress(new DownloadProgress("org/m", "model.safetensors", 2, 2, done, total, false));
    }
    p.onProgress(new DownloadProgress("org/m", "model.safetensors", 2, 2, total, total, true));
    return s.toString();
  }

  @Test
  void log_getsALineAtStartEvery256MiBAndAtTheEnd() {
    assertThat(render(false).lines()).containsExactly(
        "guardtrace: downloading model.safetensors [2/2] 0 B of 600.0 MiB",
        "guardtrace: downloading model.safetensors [2/2] 256.0 MiB of 600.0 MiB",
        "guardtrace: downloading model.safetensors [2/2] 512.0 MiB of 600.0 MiB",
        "guardtrace: downloaded model.safetensors [2/2] 600.0 MiB of 600.0 MiB");
  }

  @Test
  void console_getsOneBarRedrawnPerPercent_endedByANewline() {
    String out = render(true);
    assertThat(out).doesNotContain("config.json").endsWith("600.0 MiB of 600.0 MiB" + System.lineSeparator());
    assertThat(out.split("\r", -1)).hasSize(1 + 101); // 0..99 % while running, 100 % when done
    assertThat(out).contains("[2/2] [" + "#".repeat(15) + ".".repeat(15) + "] 300.0 MiB of 600.0 MiB");
  }
}
