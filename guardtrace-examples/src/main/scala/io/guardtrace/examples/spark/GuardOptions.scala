package io.guardtrace.examples.spark

import io.guardtrace.GuardTrace

import java.nio.file.{Files, Path}
import scala.util.control.NonFatal

/**
 * How every executor builds its [[io.guardtrace.GuardTrace]]: the settings of `GuardTrace.builder()` that a batch
 * job needs, plus `inFlight`, the requests one task keeps open at once. Immutable and serializable: it travels to
 * the executors inside the job's closure and is the key under which [[ExecutorGuard]] shares one loaded model.
 *
 * @param model a model directory visible to every executor, a directory shipped with `--archives` (found under
 *              its name in the executor's working or SparkFiles directory), a Hugging Face id found in the
 *              executor's Hugging Face cache, or `demo` (a tiny random-weight model each executor builds alike)
 * @param systemPrompt the system prompt's text (read from its file on the driver), or the default instruction
 * @param inFlight requests one task submits before it waits for the oldest; default `concurrency`
 */
final case class GuardOptions(
    model: String = GuardTrace.Builder.DEFAULT_MODEL,
    revision: Option[String] = None,
    device: String = "auto",
    dtype: String = "auto",
    systemPrompt: Option[String] = None,
    maxNewTokens: Int = GuardTrace.Builder.DEFAULT_MAX_NEW_TOKENS,
    tokenBudget: Int = GuardTrace.Builder.DEFAULT_TOKEN_BUDGET,
    concurrency: Int = 2,
    threads: Option[Int] = None,
    missingImageNotice: Boolean = false,
    maxPixels: Option[Int] = None,
    inFlight: Option[Int] = None) {

  /** Requests one task keeps open: enough to keep every request slot of the shared guard busy. */
  def window: Int = inFlight.getOrElse(concurrency)

  /** These options on the device Spark gave the task: see [[GuardOptions.deviceFor]]. */
  def onDevice(taskGpus: Array[String]): GuardOptions = copy(device = GuardOptions.deviceFor(device, taskGpus))

  /** A builder with every option applied except the model, which the caller resolves where it runs. */
  def builder(): GuardTrace.Builder = {
    val b = GuardTrace.builder().device(device).dtype(dtype).maxNewTokens(maxNewTokens).tokenBudget(tokenBudget)
      .concurrency(concurrency).missingImageNotice(missingImageNotice)
    revision.foreach(b.revision)
    systemPrompt.foreach(p => b.systemPrompt(p))
    threads.foreach(b.threads)
    maxPixels.foreach(b.maxPixels)
    b
  }

  /** Fails on the driver, before any task starts, with the builder's own message for a value it refuses. */
  def validated(): GuardOptions = {
    builder()
    if (window < 1) {
      throw new IllegalArgumentException(s"inFlight must be at least 1, was $window")
    }
    this
  }
}

/** Reading [[GuardOptions]] from Spark configuration keys and command-line flags. */
object GuardOptions {

  /** The prefix of the Spark configuration keys: `spark.guardtrace.maxNewTokens`, `spark.guardtrace.model`... */
  val ConfPrefix = "spark.guardtrace."

  /** Every option's name, as a configuration key suffix (camelCase); the flag is its kebab-case form. */
  val Names: Seq[String] = Seq("model", "revision", "device", "dtype", "systemPrompt", "maxNewTokens",
    "tokenBudget", "concurrency", "threads", "missingImageNotice", "maxPixels", "inFlight")

  /** Options that are switched on by a bare flag (`--missing-image-notice`). */
  val Switches: Set[String] = Set("missingImageNotice")

  /** `maxNewTokens` → `max-new-tokens`. */
  def flag(name: String): String = name.flatMap(c => if (c.isUpper) s"-${c.toLower}" else c.toString)

  /**
   * The device a task runs on. An explicit `cpu` or `gpu:N` is kept. Otherwise (`auto`, `gpu`), when Spark
   * scheduled the task with GPU resources (`spark.task.resource.gpu.amount`), the task's first GPU address
   * becomes `gpu:N`, so executors sharing a host each load the model on the GPU Spark gave them.
   *
   * @param configured the configured device
   * @param taskGpus the addresses of the task's `gpu` resource (empty without one)
   * @return the device to build the guard on
   */
  def deviceFor(configured: String, taskGpus: Array[String]): String =
    if (configured == "auto" || configured == "gpu" || configured == "cuda") {
      taskGpus.headOption.map(a => s"gpu:$a").getOrElse(configured)
    } else {
      configured
    }

  /**
   * Options from `values`, keyed by option name (camelCase); names not given keep their default.
   *
   * @throws IllegalArgumentException for an unknown name or a malformed or refused value
   */
  def parse(values: Map[String, String]): GuardOptions = {
    val unknown = values.keySet.diff(Names.toSet)
    if (unknown.nonEmpty) {
      throw new IllegalArgumentException(s"unknown option(s) ${unknown.toSeq.sorted.mkString(", ")}; known: " +
        Names.mkString(", "))
    }
    def int(name: String): Option[Int] = values.get(name).map { v =>
      v.trim.toIntOption.getOrElse(throw new IllegalArgumentException(s"$name must be an integer, was '$v'"))
    }
    def bool(name: String): Option[Boolean] = values.get(name).map { v =>
      v.trim.toBooleanOption.getOrElse(throw new IllegalArgumentException(s"$name must be true or false, was '$v'"))
    }
    val d = GuardOptions()
    GuardOptions(
      model = values.getOrElse("model", d.model),
      revision = values.get("revision"),
      device = values.getOrElse("device", d.device),
      dtype = values.getOrElse("dtype", d.dtype),
      systemPrompt = values.get("systemPrompt").map(readPrompt),
      maxNewTokens = int("maxNewTokens").getOrElse(d.maxNewTokens),
      tokenBudget = int("tokenBudget").getOrElse(d.tokenBudget),
      concurrency = int("concurrency").getOrElse(d.concurrency),
      threads = int("threads"),
      missingImageNotice = bool("missingImageNotice").getOrElse(d.missingImageNotice),
      maxPixels = int("maxPixels"),
      inFlight = int("inFlight")).validated()
  }

  /** The options among Spark's configuration entries (`spark.guardtrace.*`), by option name. */
  def fromConf(conf: Iterable[(String, String)]): Map[String, String] =
    conf.collect { case (k, v) if k.startsWith(ConfPrefix) => k.stripPrefix(ConfPrefix) -> v }.toMap

  // the prompt file is read once, on the driver: executors get its text and need no access to the file
  private def readPrompt(file: String): String =
    try {
      Files.readString(Path.of(file))
    } catch {
      case NonFatal(e) => throw new IllegalArgumentException(s"cannot read system prompt file $file: $e", e)
    }
}
