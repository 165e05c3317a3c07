package io.guardtrace.models.config;

/**
 * Text read from a model's own files (tensor names, shard names, dtype names) as it may appear in an error
 * message. A hostile repository chooses these strings, so a message shows at most {@value #MAX_CHARS}
 * printable ASCII characters of one, in quotes, with everything else escaped: it can neither rewrite the
 * terminal it is printed on nor carry a file's contents out in bulk.
 */
public final class Untrusted {
  /** The most characters of one string a message shows. */
  public static final int MAX_CHARS = 120;

  private Untrusted() {}

  /**
   * {@code s} in single quotes, non-printable and non-ASCII characters as {@code \\uXXXX}, cut after
   * {@value #MAX_CHARS} characters with a trailing {@code ...}.
   *
   * @param s the untrusted string
   * @return the quoted form, safe to print
   */
  public static String quote(String s) {
    StringBuilder b = new StringBuilder(Math.min(s.length(), MAX_CHARS) + 8).append('\'');
    int n = Math.min(s.length(), MAX_CHARS);
    for (int i = 0; i < n; i++) {
      char c = s.charAt(i);
      if (c >= 0x20 && c < 0x7f && c != '\\' && c != '\'') {
        b.append(c);
      } else {
        b.append(String.format("\\u%04x", (int) c));
      }
    }
    if (s.length() > MAX_CHARS) {
      b.append("...");
    }
    return b.append('\'').toString();
  }
}
