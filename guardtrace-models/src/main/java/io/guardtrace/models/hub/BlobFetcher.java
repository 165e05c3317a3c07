package io.guardtrace.models.hub;

import io.guardtrace.ModelLoadException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Fetches one repository file into the cache: metadata from the endpoint, then, holding the blob's
 * {@link BlobLock}, a (resumed) transfer into {@code blobs/<etag>.incomplete} that never reads past the
 * announced size, verification, an atomic move into {@code blobs/} and a link from the snapshot. A file is
 * cached only once it is verified: by its SHA-256 (LFS files, always), its git blob hash (small files whose
 * ETag is one), or, failing both, its announced size or a Content-Length received in full.
 */
final class BlobFetcher {
  private static final Logger LOG = LoggerFactory.getLogger(BlobFetcher.class);
  /** The most bytes read for a file whose size nobody announced (such files are configs and tokenizers). */
  static final long MAX_UNANNOUNCED_BYTES = 1L << 30;
  private static final Pattern CONTENT_RANGE = Pattern.compile("bytes (\\d+)-(\\d+)/(\\d+|\\*)");

  private final HubHttp http;
  private final HubCache cache;
  private final HubSettings settings;

  BlobFetcher(HubHttp http, HubCache cache, HubSettings settings) {
    this.http = http;
    this.cache = cache;
    this.settings = settings;
  }

  /**
   * Makes {@code snapshot/file} hold the hub's {@code file} at {@code commit}.
   *
   * @throws ModelLoadException when the hub refuses, or the content fails verification (nothing is cached)
   * @throws IOException when the transfer breaks off (a partial file stays to be resumed when it can be checked)
   */
  void fetch(String modelId, String commit, String file, Path snapshot, DownloadEvents events, int index)
      throws IOException, InterruptedException {
    Path target = HubNames.resolveInside(snapshot, file);
    if (Files.isRegularFile(target)) {
      events.file(index, file, Files.size(target)).finished(Files.size(target));
      return;
    }
    URI url = URI.create(settings.endpoint() + "/" + modelId + "/resolve/" + commit + "/" + file);
    FileMetadata meta;
    try (HubHttp.Exchange head = http.send("HEAD", url, Map.of(), false)) {
      HubHttp.Hop last = head.last();
      if (last.status() / 100 != 2 && !HubHttp.isRedirect(last.status())) {
        HubErrors.check(last.status(), modelId, commit, url);
      }
      meta = FileMetadata.of(head.hops, file, commit + "-" + file);
    }
    Path blob = cache.blob(modelId, HubNames.blobName(meta.etag()));
    Files.createDirectories(blob.getParent());
    DownloadEvents.FileEvents fileEvents = events.file(index, file, meta.size());
    try (BlobLock lock = BlobLock.acquire(blob)) {
      if (!Files.isRegularFile(blob)) {
        download(url, meta, blob, modelId, commit, file, fileEvents);
      } else {
        LOG.debug("{} is already in the cache as {}", file, blob);
      }
      link(target, blob);
    }
    fileEvents.finished(Files.size(blob));
  }

  private void download(URI url, FileMetadata meta, Path blob, String modelId, String commit, String file,
      DownloadEvents.FileEvents events) throws IOException {
    Path partial = blob.resolveSibling(blob.getFileName() + ".incomplete");
    // a partial file can only be continued when the result can be checked (by size or hash)
    boolean resumable = meta.size() >= 0 || meta.hasChecksum();
    boolean restarted = false;
    while (true) {
      long have = resumable && Files.isRegularFile(partial) ? Files.size(partial) : 0;
      if (meta.size() >= 0 && have > meta.size()) {
        LOG.info("{}: the partial download is longer than the file ({} > {} bytes); starting over", file, have,
            meta.size());
        have = 0;
      }
      if (have > 0 && have == meta.size()) {
        verifyAndMove(partial, blob, meta, file, false);
        return;
      }
      Map<String, String> headers = have > 0 ? Map.of("Range", "bytes=" + have + "-") : Map.of();
      boolean fullContentLength;
      try (HubHttp.Exchange get = http.send("GET", url, headers, true)) {
        HubHttp.Hop last = get.last();
        if (have > 0 && (last.status() == 416 || last.status() == 206 && !rangeStartsAt(last, have))) {
          if (restarted) {
            throw new ModelLoadException("the hub refused to resume " + file + " twice (HTTP " + last.status()
                + ")");
          }
          LOG.info("{}: the server cannot resume at byte {} (HTTP {}); starting over", file, have, last.status());
          Files.deleteIfExists(partial);
          restarted = true;
          continue;
        }
        if (last.status() == 200) {
          have = 0;
        } else if (last.status() != 206) {
          HubErrors.check(last.status(), modelId, commit, url);
        }
        long contentLength = last.longHeader("Content-Length");
        long limit = meta.size() >= 0 ? meta.size() : MAX_UNANNOUNCED_BYTES;
        events.started(have);
        long received;
        try (InputStream in = get.body()) {
          received = copy(in, partial, have, limit, file, events);
        } catch (IOException e) {
          if (!resumable) {
            Files.deleteIfExists(partial);
          }
          throw e;
        }
        if (contentLength >= 0 && received < contentLength) {
          if (!resumable) {
            Files.deleteIfExists(partial);
          }
          throw new IOException(file + ": the transfer broke off after " + received + " of " + contentLength
              + " bytes");
        }
        fullContentLength = contentLength >= 0 && received == contentLength && have == 0;
      }
      verifyAndMove(partial, blob, meta, file, fullContentLength);
      return;
    }
  }

  private static boolean rangeStartsAt(HubHttp.Hop hop, long have) {
    String range = hop.header("Content-Range");
    Matcher m = range == null ? null : CONTENT_RANGE.matcher(range.strip());
    return m != null && m.matches() && Long.parseLong(m.group(1)) == have;
  }

  /**
   * Appends {@code in} to {@code partial} (from byte {@code have}; 0 truncates it), reading no more than
   * {@code limit} bytes of file in all.
   *
   * @return the bytes read from {@code in}
   * @throws ModelLoadException when the server sends more than {@code limit} (the partial file is deleted)
   */
  private static long copy(InputStream in, Path partial, long have, long limit, String file,
      DownloadEvents.FileEvents events) throws IOException {
    long done = have;
    try (OutputStream out = Files.newOutputStream(partial, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
        have > 0 ? StandardOpenOption.APPEND : StandardOpenOption.TRUNCATE_EXISTING)) {
      byte[] buf = new byte[1 << 16];
      while (true) {
        // one byte more than allowed is enough to tell a body that goes on from one that ends
        int want = (int) Math.min(buf.length, limit - done + 1);
        int n = in.read(buf, 0, want);
        if (n < 0) {
          break;
        }
        if (done + n > limit) {
          out.close();
          Files.deleteIfExists(partial);
          throw new ModelLoadException("the hub sent more than the " + limit + " bytes "
              + (limit == MAX_UNANNOUNCED_BYTES ? "accepted for " : "announced for ") + file + "; nothing was cached");
        }
        out.write(buf, 0, n);
        done += n;
        events.advanced(done);
      }
    }
    return done - have;
  }

  /** Checks the finished partial file and moves it into {@code blobs/}; a file that fails is deleted. */
  private static void verifyAndMove(Path partial, Path blob, FileMetadata meta, String file,
      boolean fullContentLength) throws IOException {
    long actual = Files.size(partial);
    if (meta.size() >= 0 && actual != meta.size()) {
      throw new IOException(file + ": downloaded " + actual + " bytes but the hub announced " + meta.size()
          + " (the transfer broke off)");
    }
    if (meta.sha256() != null) {
      String sha = Checksums.sha256(partial);
      if (!sha.equals(meta.sha256())) {
        Files.deleteIfExists(partial);
        throw new ModelLoadException(file + ": SHA-256 " + sha + " does not match the hub's " + meta.sha256()
            + " (corrupt or tampered download, deleted; nothing was cached)");
      }
    } else if (meta.gitSha1() != null) {
      String sha1 = Checksums.gitBlobSha1(partial);
      if (!sha1.equals(meta.gitSha1())) {
        Files.deleteIfExists(partial);
        throw new ModelLoadException(file + ": git blob hash " + sha1 + " does not match the hub's ETag "
            + meta.gitSha1() + " (corrupt or tampered download, deleted; nothing was cached)");
      }
    } else if (meta.size() < 0 && !fullContentLength) {
      Files.deleteIfExists(partial);
      throw new ModelLoadException(file + ": the hub announced neither its size nor a checksum and the transfer "
          + "gave no Content-Length to check it against; refusing to cache an unverifiable file");
    }
    Files.move(partial, blob, StandardCopyOption.ATOMIC_MOVE);
  }

  /** Links {@code target} to {@code blob} (relative, as huggingface_hub does), or copies where links fail. */
  private static void link(Path target, Path blob) throws IOException {
    Files.createDirectories(target.getParent());
    if (Files.isRegularFile(target)) {
      return;
    }
    Files.deleteIfExists(target); // a dangling link
    try {
      Files.createSymbolicLink(target, target.getParent().relativize(blob));
    } catch (FileAlreadyExistsException e) {
      if (!Files.isRegularFile(target, LinkOption.NOFOLLOW_LINKS) && !Files.isRegularFile(target)) {
        throw e;
      }
    } catch (UnsupportedOperationException | IOException e) {
      HubCache.replaceAtomically(target, tmp -> Files.copy(blob, tmp, StandardCopyOption.REPLACE_EXISTING));
    }
  }
}
