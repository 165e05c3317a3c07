package io.guardtrace.examples.spark

import org.apache.spark.sql.functions.col
import org.apache.spark.sql.types.StructType
import org.apache.spark.sql.{DataFrame, Encoders, Row, SaveMode, SparkSession}
import org.apache.spark.{SparkConf, TaskContext}

import java.util.Locale

/**
 * A Spark batch job that moderates a dataset of traces: reads JSON Lines in the CLI's trace format (or Parquet
 * with the same columns, images as paths or bytes), judges every row with GuardTrace-VL, and writes Parquet with
 * the input's columns and the verdict columns of [[VerdictColumns]]. One row comes out for every row in.
 *
 * Each executor JVM loads the model once ([[ExecutorGuard]]) and its tasks feed it through
 * [[PartitionJudge]], a bounded window of `detectAsync` requests, so concurrent requests share decode steps.
 * Rows that cannot be judged carry an error instead of failing the task. Decoding is greedy, so a retried task
 * (or a speculative copy) writes the same verdicts for the same rows; only `timings` and `cached` differ.
 *
 * Run with spark-submit, or locally with a plain `java` command (a `local[*]` session when no master is set):
 * see docs/spark.md.
 */
object ModerateTraces {

  /** The helper column that carries each row's input file while relative image paths are resolved. */
  private val SourceFile = "__guardtrace_source_file"

  /**
   * What a run did.
   *
   * @param seconds the wall time of judging and writing (executors' model loading included)
   */
  final case class Summary(partitions: Int, safe: Long, potentiallyHarmful: Long, harmful: Long, errors: Long,
      seconds: Double) {

    /** Rows written, one per input row. */
    def rows: Long = safe + potentiallyHarmful + harmful + errors

    /** Rows judged per second of wall time. */
    def tracesPerSecond: Double = rows / seconds

    override def toString: String =
      f"$rows%d traces in $partitions%d partitions in $seconds%.1f s ($tracesPerSecond%.2f traces/s): " +
        s"$safe SAFE, $potentiallyHarmful POTENTIALLY_HARMFUL, $harmful HARMFUL, $errors with an error"
  }

  /** Runs the job with its own SparkSession; exit code 2 for a usage error. */
  def main(args: Array[String]): Unit = {
    if (args.exists(a => a == "--help" || a == "-h")) {
      println(JobConfig.Usage)
      return
    }
    requireSparkModuleOptions()
    quietLibraryLogs()
    val conf = new SparkConf() // spark.* system properties: what spark-submit passes
    val job =
      try JobConfig.parse(args, conf)
      catch {
        case e: IllegalArgumentException =>
          System.err.println(s"ModerateTraces: ${e.getMessage}\n${JobConfig.Usage}")
          sys.exit(2)
      }
    val session = SparkSession.builder().appName("guardtrace ModerateTraces").config(conf)
    if (!conf.contains("spark.master")) {
      // started from the command line: a local session that listens on loopback only
      session.master(job.master.getOrElse("local[*]"))
      Seq("spark.driver.host" -> "127.0.0.1", "spark.driver.bindAddress" -> "127.0.0.1", "spark.ui.enabled" -> "false")
        .filterNot { case (k, _) => conf.contains(k) }.foreach { case (k, v) => session.config(k, v) }
    }
    val spark = session.getOrCreate()
    try {
      val summary = run(spark, job)
      println(s"ModerateTraces: $summary; written to ${job.output}")
    } finally {
      spark.stop()
    }
  }

  /**
   * Runs the job in `spark`.
   *
   * @throws IllegalArgumentException when the input lacks a required column or has one of an unusable type
   */
  def run(spark: SparkSession, job: JobConfig): Summary = {
    val raw = read(spark, job)
    val pathImages = TraceColumns.imageKind(raw.schema).exists(k => !TraceColumns.isBinary(k))
    val input = if (pathImages && job.imageBase.isEmpty) raw.withColumn(SourceFile, col("_metadata.file_path")) else raw
    val columns = TraceColumns.of(input.schema, job.imageBase, Some(SourceFile))
    val keep = keptColumns(input.schema, columns)
    val outSchema = StructType(keep.map(input.schema(_)) ++ VerdictColumns.schema.fields)

    val current = input.rdd.getNumPartitions
    val target = job.partitions.getOrElse(math.max(current, spark.sparkContext.defaultParallelism))
    val partitioned = if (target == current) input else input.repartition(target)

    val sc = spark.sparkContext
    val counters = PartitionJudge.Counters(sc.longAccumulator("guardtrace SAFE"),
      sc.longAccumulator("guardtrace POTENTIALLY_HARMFUL"), sc.longAccumulator("guardtrace HARMFUL"),
      sc.longAccumulator("guardtrace errors"))
    val options = job.guard
    val judged = partitioned.mapPartitions { (rows: Iterator[Row]) =>
      if (!rows.hasNext) {
        Iterator.empty
      } else {
        val task = TaskContext.get()
        val gpus = Option(task).flatMap(_.resources().get("gpu")).map(_.addresses).getOrElse(Array.empty[String])
        val taskOptions = options.onDevice(gpus)
        val judge = new PartitionJudge(ExecutorGuard.get(taskOptions), columns, keep, taskOptions.window, counters, rows)
        if (task != null) {
          task.addTaskCompletionListener[Unit](_ => judge.cancelPending())
        }
        judge
      }
    }(Encoders.row(outSchema))

    val start = System.nanoTime()
    judged.write.mode(if (job.overwrite) SaveMode.Overwrite else SaveMode.ErrorIfExists).parquet(job.output)
    Summary(target, counters.safe.sum, counters.potentiallyHarmful.sum, counters.harmful.sum, counters.errors.sum,
      (System.nanoTime() - start) / 1e9)
  }

  private def read(spark: SparkSession, job: JobConfig): DataFrame = job.format match {
    case "parquet" => spark.read.parquet(job.input)
    case _ =>
      // PERMISSIVE: a line that is no JSON object still yields a row (an error row), not a failed job
      spark.read.option("mode", "PERMISSIVE").option("columnNameOfCorruptRecord", TraceColumns.CorruptRecord)
        .json(job.input)
  }

  /** The input columns copied to the output: all but the helper column and images given as bytes. */
  private def keptColumns(schema: StructType, columns: TraceColumns): Array[Int] = {
    val binaryImages = columns.images.collect { case (i, kind) if TraceColumns.isBinary(kind) => i }
    val keep = schema.fieldNames.indices.filterNot(i => binaryImages.contains(i) || schema(i).name == SourceFile).toArray
    val clash = keep.map(schema(_).name.toLowerCase(Locale.ROOT)).toSet
      .intersect(VerdictColumns.schema.fieldNames.toSet)
    if (clash.nonEmpty) {
      throw new IllegalArgumentException(s"the input's column(s) ${clash.toSeq.sorted.mkString(", ")} clash with " +
        "the verdict columns the job adds; rename them")
    }
    keep
  }

  /**
   * A command-line run logs through guardtrace's slf4j-simple, at INFO: keep Spark's, Hadoop's and Parquet's
   * hundreds of INFO lines per job out unless the caller chose levels for them. (Under spark-submit, Spark's
   * log4j configuration decides and these properties are ignored.)
   */
  private def quietLibraryLogs(): Unit =
    Seq("org.apache.spark", "org.apache.hadoop", "org.apache.parquet", "org.sparkproject").foreach { logger =>
      val key = s"org.slf4j.simpleLogger.log.$logger"
      if (System.getProperty(key) == null) {
        System.setProperty(key, "warn")
      }
    }

  /**
   * Spark 4 on Java 17 needs JDK packages opened to it; spark-submit adds the options, a plain `java` command
   * must pass them. Say so plainly instead of letting the session fail deep inside Spark.
   */
  private def requireSparkModuleOptions(): Unit =
    if (!classOf[Object].getModule.isOpen("sun.nio.ch", getClass.getModule)) {
      System.err.println("ModerateTraces: this JVM lacks the options Spark needs on Java 17; run it with spark-submit, " +
        "or pass them to java: java @guardtrace-examples/spark-java-options.args -cp ... (docs/spark.md)")
      sys.exit(2)
    }
}
