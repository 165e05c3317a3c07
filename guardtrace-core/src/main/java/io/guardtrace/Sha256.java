package io.guardtrace;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** Lowercase hex SHA-256 digests of bytes and of text, for cache keys and image identity. */
final class Sha256 {
  private static final int CHUNK_CHARS = 4096;

  private Sha256() {}

  static String ofBytes(byte[] bytes) {
    return HexFormat.of().formatHex(digest().digest(bytes));
  }

  /**
   * The digest of {@code text}'s UTF-16 code units (big-endian), fed in chunks so a long text is never copied
   * whole. Code units rather than UTF-8 so that two texts differing only in their lone surrogates (which a
   * UTF-8 encoder would both turn into {@code ?}) keep different digests.
   */
  static String ofText(String text) {
    MessageDigest md = digest();
    byte[] buf = new byte[2 * Math.min(CHUNK_CHARS, text.length())];
    for (int from = 0; from < text.length(); from += CHUNK_CHARS) {
      int to = Math.min(text.length(), from + CHUNK_CHARS);
      int n = 0;
      for (int i = from; i < to; i++) {
        char c = text.charAt(i);
        buf[n++] = (byte) (c >>> 8);
        buf[n++] = (byte) c;
      }
      md.update(buf, 0, n);
    }
    return HexFormat.of().formatHex(md.digest());
  }

  private static MessageDigest digest() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JVM", e);
    }
  }
}
