package io.guardtrace.examples.spark

import io.guardtrace.SafetyVerdict
import org.apache.spark.sql.Row
import org.apache.spark.sql.types._

import java.time.Duration
import scala.jdk.CollectionConverters._

/**
 * The columns the job adds to every row: the verdict, or, for a row that could not be judged, `error` (the
 * message) and `error_type` (the exception's simple name: `InvalidImageException`, `PromptTooLongException`,
 * `InvalidInputException`...) with every verdict column null. Exactly one of `level` and `error` is set.
 *
 * `timings` and `cached` describe the run, not the trace: they differ between runs (a retried task, a repeated
 * trace served from the executor's verdict cache); every other column is a function of the trace and the options.
 */
object VerdictColumns {
  private val probabilities = StructType(Seq(
    StructField("safe", DoubleType), StructField("potentially_harmful", DoubleType), StructField("harmful", DoubleType)))

  private val timings = StructType(Seq("preprocess_ms", "vision_ms", "prefill_ms", "decode_ms", "total_ms")
    .map(StructField(_, DoubleType, nullable = false)))

  /** The added columns, in order. */
  val schema: StructType = StructType(Seq(
    StructField("level", StringType), // SAFE, POTENTIALLY_HARMFUL or HARMFUL
    StructField("score", DoubleType), // the judgment: 0, 0.5 or 1
    StructField("analysis", StringType),
    StructField("raw_output", StringType),
    StructField("parsed", BooleanType), // false: no judgment in the output, level HARMFUL by the failure policy
    StructField("probabilities", probabilities), // null when the model wrote no judgment
    StructField("prompt_tokens", IntegerType),
    StructField("generated_tokens", IntegerType),
    StructField("generated_token_ids", ArrayType(IntegerType, containsNull = false)),
    StructField("truncated", BooleanType), // the middle of the thinking was cut to fit the token budget
    StructField("finished", BooleanType), // generation ended on end-of-sequence, not at maxNewTokens
    StructField("cached", BooleanType),
    StructField("timings", timings),
    StructField("error", StringType),
    StructField("error_type", StringType)))

  /** The added values of a judged row. */
  def of(v: SafetyVerdict): Seq[Any] = {
    val p = v.probabilities()
    val t = v.timings()
    Seq(v.level().name(), v.score(), v.analysis(), v.rawOutput(), v.parsed(),
      if (p == null) null else Row(p.safe(), p.potentiallyHarmful(), p.harmful()),
      v.promptTokens(), v.generatedTokens(), v.generatedTokenIds().asScala.map(_.intValue).toSeq,
      v.truncated(), v.finished(), v.cached(),
      Row(millis(t.preprocess()), millis(t.vision()), millis(t.prefill()), millis(t.decode()), millis(t.total())),
      null, null)
  }

  /** The added values of a row that could not be judged. */
  def of(error: Throwable): Seq[Any] =
    Seq.fill(schema.length - 2)(null) ++ Seq(String.valueOf(error.getMessage), error.getClass.getSimpleName)

  private def millis(d: Duration): Double = d.toNanos / 1e6
}
