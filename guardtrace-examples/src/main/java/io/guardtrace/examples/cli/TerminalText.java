package io.guardtrace.examples.cli;

/**
 * Text made safe to print on a terminal. The model's output, and anything taken from a trace or a dataset,
 * can hold control sequences that a terminal acts on: move the cursor, clear a line, recolour, or (with a
 * bidirectional override) display text in another order. Printed raw, they could rewrite the verdict line a
 * person reads. Every such character is shown instead as a visible escape: {@code \x1b} for C0 controls,
 * DEL and C1 controls, <code>&#92;u202e</code> for the bidirectional controls; {@code \n}, {@code \r} and
 * {@code \t} by their usual names where they are not kept.
 */
final class TerminalText {
  private TerminalText() {}

  /** {@code s} for a one-line field: every control character escaped, newlines included. */
  static String line(String s) {
    return escape(s, false);
  }

  /** {@code s} for a multi-line field: newlines and tabs kept, every other control character escaped. */
  static String lines(String s) {
    return escape(s, true);
  }

  /** Whether a terminal may act on {@code c} (a UTF-16 code unit) rather than just show it. */
  static boolean isControl(int c) {
    return c < 0x20 || (c >= 0x7f && c <= 0x9f) // C0, DEL, C1
        || c == 0x061c || c == 0x200e || c == 0x200f // Arabic letter mark, left-to-right and right-to-left marks
        || (c >= 0x202a && c <= 0x202e) // embeddings and overrides
        || (c >= 0x2066 && c <= 0x2069); // isolates
  }

  private static String escape(String s, boolean keepLineBreaks) {
    StringBuilder b = null;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      boolean kept = !isControl(c) || (keepLineBreaks && (c == '\n' || c == '\t'));
      if (kept) {
        if (b != null) {
          b.append(c);
        }
        continue;
      }
      if (b == null) {
        b = new StringBuilder(s.length() + 16).append(s, 0, i);
      }
      switch (c) {
        case '\n' -> b.append("\\n");
        case '\r' -> b.append("\\r");
        case '\t' -> b.append("\\t");
        default -> b.append(c < 0x100 ? String.format("\\x%02x", (int) c) : String.format("\\u%04x", (int) c));
      }
    }
    return b == null ? s : b.toString();
  }
}
