package io.guardtrace.models.hub;

import io.guardtrace.ModelLoadException;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * What the hub says about one file before it is downloaded, read from the endpoint's own responses (the
 * metadata request never leaves the endpoint's origin). The hub serves LFS files through a redirect to a CDN
 * and puts {@code X-Linked-Etag} (the SHA-256) and {@code X-Linked-Size} on that redirect, so those come from
 * the first response carrying them, never from another host.
 *
 * @param etag the blob's identity: the SHA-256 of an LFS file, the git blob hash of a small one, or whatever
 *     ETag the server sent
 * @param sha256 the SHA-256 the content must have, or null
 * @param gitSha1 the git blob hash the content must have, or null
 * @param size the file's size in bytes, or -1 when not announced
 */
record FileMetadata(String etag, @Nullable String sha256, @Nullable String gitSha1, long size) {
  /** The largest file accepted (the 3B model's largest shard is 4 GB). */
  static final long MAX_FILE_BYTES = 64L << 30;

  /** Whether the content can be checked against a hash. */
  boolean hasChecksum() {
    return sha256 != null || gitSha1 != null;
  }

  /**
   * Reads the metadata from the responses of a HEAD request (redirects within the endpoint's origin followed,
   * the chain ending at a 2xx or at a redirect leaving the origin).
   *
   * @param fallbackEtag the identity used when the server sent no ETag at all
   * @throws ModelLoadException when an LFS file comes without a SHA-256, or the size is absurd
   */
  static FileMetadata of(List<HubHttp.Hop> hops, String file, String fallbackEtag) {
    String linkedEtag = first(hops, "X-Linked-Etag");
    String linkedSize = first(hops, "X-Linked-Size");
    String plainEtag = first(hops, "ETag");
    HubHttp.Hop last = hops.get(hops.size() - 1);
    long size = -1;
    if (linkedSize != null) {
      size = parseSize(linkedSize, file);
    } else if (last.status() / 100 == 2) {
      size = last.longHeader("Content-Length");
    }
    if (size > MAX_FILE_BYTES) {
      throw new ModelLoadException("the hub announces " + size + " bytes for " + file + ", more than the "
          + MAX_FILE_BYTES + " accepted");
    }
    if (linkedEtag != null) {
      String sha = unquote(linkedEtag).toLowerCase(java.util.Locale.ROOT);
      if (!sha.matches("[0-9a-f]{64}")) {
        throw new ModelLoadException("the hub serves " + file + " from LFS without a SHA-256 (X-Linked-Etag '"
            + HubNames.printable(linkedEtag) + "'); it cannot be verified");
      }
      return new FileMetadata(sha, sha, null, size);
    }
    String etag = plainEtag == null ? fallbackEtag : unquote(plainEtag);
    if (etag.matches("[0-9a-f]{64}")) {
      return new FileMetadata(etag, etag, null, size);
    }
    if (etag.matches("[0-9a-f]{40}")) {
      return new FileMetadata(etag, null, etag, size);
    }
    return new FileMetadata(etag, null, null, size);
  }

  private static @Nullable String first(List<HubHttp.Hop> hops, String header) {
    for (HubHttp.Hop h : hops) {
      String v = h.header(header);
      if (v != null && !v.isBlank()) {
        return v;
      }
    }
    return null;
  }

  private static long parseSize(String value, String file) {
    try {
      long n = Long.parseLong(value.strip());
      if (n >= 0) {
        return n;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new ModelLoadException("the hub announces an invalid size for " + file + ": '"
        + HubNames.printable(value) + "'");
  }

  /** An ETag without its quotes and weak marker. */
  static String unquote(String s) {
    String t = s.strip();
    if (t.startsWith("W/")) {
      t = t.substring(2);
    }
    return t.length() >= 2 && t.startsWith("\"") && t.endsWith("\"") ? t.substring(1, t.length() - 1) : t;
  }
}
