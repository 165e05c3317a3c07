package io.guardtrace.examples.spark

import org.apache.spark.SparkConf

import java.nio.file.Path
import scala.collection.mutable

/**
 * What one run of [[ModerateTraces]] does.
 *
 * @param input a JSON Lines file or directory (the CLI's trace format, one object per line), or Parquet
 * @param output the Parquet directory to write
 * @param format `jsonl` or `parquet`
 * @param imageBase the directory relative image paths are resolved against (default: each row's input file's)
 * @param partitions how many tasks share the work (default: at least Spark's default parallelism)
 * @param master the Spark master when the job starts its own session and none is configured (default `local[*]`)
 */
final case class JobConfig(
    input: String,
    output: String,
    format: String,
    imageBase: Option[String] = None,
    partitions: Option[Int] = None,
    overwrite: Boolean = false,
    master: Option[String] = None,
    guard: GuardOptions = GuardOptions())

/** Parsing the job's arguments. */
object JobConfig {

  /** The formats the job reads. */
  val Formats: Set[String] = Set("jsonl", "parquet")

  /** The command-line help. */
  val Usage: String =
    s"""usage: ModerateTraces --input PATH --output DIR [options]
       |  --input PATH           JSON Lines traces ({"question","thinking","answer","images":[paths]} per line),
       |                         or Parquet with the same columns (images as paths or as binary)
       |  --output DIR           Parquet output: the input's columns (binary images left out), the verdict, error
       |  --format jsonl|parquet default: parquet when the input's name ends in .parquet, else jsonl
       |  --image-base DIR       resolve relative image paths here (default: the directory of each row's file)
       |  --partitions N         tasks sharing the work (default: at least Spark's default parallelism)
       |  --overwrite            replace the output directory
       |  --master URL           when no Spark master is configured (spark-submit sets one); default local[*]
       |guard options (also Spark configuration keys ${GuardOptions.ConfPrefix}<name>, e.g. ${GuardOptions.ConfPrefix}maxNewTokens;
       |a flag wins over the key):
       |  --model DIR|ID|demo, --revision R, --device auto|cpu|gpu|gpu:N, --dtype auto|float32|bfloat16,
       |  --system-prompt FILE, --max-new-tokens N, --token-budget N, --concurrency N (requests an executor's guard
       |  runs at once), --threads N, --missing-image-notice, --max-pixels N, --in-flight N (requests one task keeps
       |  open; default: concurrency)""".stripMargin

  /**
   * The configuration given by `args`, with guard options from `conf`'s `spark.guardtrace.*` keys where no flag
   * sets them.
   *
   * @throws IllegalArgumentException for a missing, unknown or malformed argument (the message says which)
   */
  def parse(args: Array[String], conf: SparkConf): JobConfig = {
    val guardFlags = GuardOptions.Names.map(n => GuardOptions.flag(n) -> n).toMap
    val jobFlags = Set("input", "output", "format", "image-base", "partitions", "master")
    val job = mutable.Map.empty[String, String]
    val guard = mutable.Map.empty[String, String] ++ GuardOptions.fromConf(conf.getAll)
    var overwrite = false
    var rest = args.toList
    while (rest.nonEmpty) {
      val arg = rest.head
      if (!arg.startsWith("--")) {
        throw new IllegalArgumentException(s"unexpected argument '$arg'")
      }
      val name = arg.drop(2)
      def value(): String = rest.tail.headOption.getOrElse(throw new IllegalArgumentException(s"$arg needs a value"))
      if (name == "overwrite") {
        overwrite = true
        rest = rest.tail
      } else if (guardFlags.get(name).exists(GuardOptions.Switches)) {
        guard(guardFlags(name)) = "true"
        rest = rest.tail
      } else if (guardFlags.contains(name)) {
        guard(guardFlags(name)) = value()
        rest = rest.drop(2)
      } else if (jobFlags(name)) {
        job(name) = value()
        rest = rest.drop(2)
      } else {
        throw new IllegalArgumentException(s"unknown option $arg")
      }
    }
    val input = job.getOrElse("input", throw new IllegalArgumentException("--input is required"))
    val format = job.getOrElse("format", if (input.stripSuffix("/").endsWith(".parquet")) "parquet" else "jsonl")
    if (!Formats(format)) {
      throw new IllegalArgumentException(s"--format must be jsonl or parquet, was '$format'")
    }
    val partitions = job.get("partitions").map { p =>
      p.toIntOption.filter(_ > 0).getOrElse(throw new IllegalArgumentException(s"--partitions must be a positive integer, was '$p'"))
    }
    JobConfig(input, job.getOrElse("output", throw new IllegalArgumentException("--output is required")), format,
      // absolute on the driver, so a local run may pass a relative directory
      job.get("image-base").map(b => Path.of(b).toAbsolutePath.toString), partitions, overwrite, job.get("master"),
      GuardOptions.parse(guard.toMap))
  }
}
