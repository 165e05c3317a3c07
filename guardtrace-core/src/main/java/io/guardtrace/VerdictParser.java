package io.guardtrace;

import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * Reads {@code "Analysis": ...} and {@code "Judgment": 0|0.5|1} from the model's output. Only the model's own
 * output is parsed, never the trace, so text inside a trace cannot forge a verdict.
 *
 * <p>Tolerates straight and curly quotes, markdown emphasis ({@code **Judgment**:}), brackets and quotes
 * around the value ({@code [0.5]}, {@code "1"}), the spellings "Judgment" and "Judgement", any spacing, a full
 * or colon-less JSON object, {@code 0.0}/{@code 1.0}/{@code .5}, and text after the value. When the output
 * repeats the judgment, the last one wins (models sometimes restate a draft). A number that is not exactly 0,
 * 0.5 or 1 ({@code 0.7}, {@code 10}, {@code -1}) is not a judgment.
 */
final class VerdictParser {
  private static final String QUOTES = "\"'“”‘’`";
  private static final Pattern JUDGMENT = Pattern.compile(
      "judge?ment[" + QUOTES + "*_\\s]*[:：=][\\s" + QUOTES + "*_\\[(]*"
          + "(1(?:\\.0+)?|0?\\.50*|0(?:\\.0+)?)(?![0-9])(?!\\.[0-9])",
      Pattern.CASE_INSENSITIVE);
  private static final Pattern ANALYSIS =
      Pattern.compile("analysis[" + QUOTES + "*_\\s]*[:：]", Pattern.CASE_INSENSITIVE);
  private static final String TRIM = " \t\r\n,{}" + QUOTES + "*";

  /** The parse of one output. */
  record Parsed(@Nullable RiskLevel level, String analysis) {}

  private VerdictParser() {}

  static Parsed parse(String output) {
    Matcher m = JUDGMENT.matcher(output);
    int keyStart = -1;
    String value = null;
    while (m.find()) {
      keyStart = m.start();
      value = m.group(1);
    }
    RiskLevel level = value == null ? null : RiskLevel.fromScore(Double.parseDouble(value));
    int end = keyStart >= 0 ? keyStart : output.length();
    Matcher a = ANALYSIS.matcher(output);
    int analysisStart = -1;
    while (a.find() && a.start() < end) {
      analysisStart = a.end();
    }
    String analysis = analysisStart >= 0 ? output.substring(analysisStart, end) : output.substring(0, end);
    return new Parsed(level, trim(analysis));
  }

  private static String trim(String s) {
    int from = 0;
    int to = s.length();
    while (from < to && TRIM.indexOf(s.charAt(from)) >= 0) {
      from++;
    }
    while (to > from && TRIM.indexOf(s.charAt(to - 1)) >= 0) {
      to--;
    }
    return s.substring(from, to);
  }
}
