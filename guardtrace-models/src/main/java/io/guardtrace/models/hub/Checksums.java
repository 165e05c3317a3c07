package io.guardtrace.models.hub;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** The two checksums the hub announces as ETags: SHA-256 of an LFS file, the git blob hash of any other file. */
final class Checksums {
  private Checksums() {}

  /** The SHA-256 of {@code file}, lowercase hex. */
  static String sha256(Path file) throws IOException {
    return digest(file, "SHA-256", new byte[0]);
  }

  /** git's object id of {@code file} as a blob: SHA-1 of {@code "blob <size>\0"} followed by the content. */
  static String gitBlobSha1(Path file) throws IOException {
    return digest(file, "SHA-1", ("blob " + Files.size(file) + "\0").getBytes(StandardCharsets.US_ASCII));
  }

  private static String digest(Path file, String algorithm, byte[] prefix) throws IOException {
    MessageDigest md;
    try {
      md = MessageDigest.getInstance(algorithm);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    md.update(prefix);
    try (InputStream in = Files.newInputStream(file)) {
      byte[] buf = new byte[1 << 16];
      int n;
      while ((n = in.read(buf)) >= 0) {
        md.update(buf, 0, n);
      }
    }
    return HexFormat.of().formatHex(md.digest());
  }
}
