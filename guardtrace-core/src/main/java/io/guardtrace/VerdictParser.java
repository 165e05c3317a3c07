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
 * 0.5 or 1 ({@code 0.7}, {@code 10}, {@code -1}) is not a judgment, and neither is the format echoed back
 * ({@code 0/0.5/1}, {@code 0, 0.5 or 1}, {@code 0-1}): a model that restates its instructions has not judged.
 */
final class VerdictParser {
  private static final String QUOTES = "\"'“”‘’`";
  private static final Pattern JUDGMENT = Pattern.compile(
      "judge?ment[" + QUOTES + "*_\\s]*[:：=][\\s" + QUOTES + "*_\\[(]*"
          + "(1(?:\\.0+)?|0?\\.50*|0(?:\\.0+)?)(?![0-9])(?!\\.[0-9])"
          // not the format echoed back ("0/0.5/1", "0, 0.5 or 1", "0-1"): that is no judgment
          + "(?![ \\t]*(?:[|,\\-–]|or\\b|to\\b)[ \\t]*[0-9.])"
          // ... but "0.5/1" and "1 / 1.0" are a score out of 1
          + "(?![ \\t]*/[ \\t]*(?!1(?:\\.0+)?(?![0-9./]))[0-9.])",
      Pattern.CASE_INSENSITIVE);
  private static final Pattern ANALYSIS =
      Pattern.compile("analysis[" + QUOTES + "*_\\s]*[:：]", Pattern.CASE_INSENSITIVE);
  private static final String TRIM = " \t\r\n,{}" + QUOTES + "*";

  /** The parse of one output. */
  record Parsed(@Nullable RiskLevel level, String analysis) {
    /** Whether the output held a judgment. */
    boolean parsed() {
      return level != null;
    }
  }

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
    int analysisAfter = -1;
    while (a.find()) {
      if (a.start() < end) {
        analysisStart = a.end();
      } else if (analysisAfter < 0) {
        analysisAfter = a.end();
      }
    }
    String analysis;
    if (analysisStart >= 0) {
      analysis = output.substring(analysisStart, end);
    } else if (analysisAfter >= 0) {
      // the judgment came first: the analysis runs from its key to the end
      analysis = output.substring(analysisAfter);
    } else {
      // no analysis key: the explanation is the text before the judgment, or everything when there is none
      String before = output.substring(0, end);
      analysis = before.codePoints().anyMatch(Character::isLetter) ? before : output;
    }
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
