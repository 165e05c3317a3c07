package io.guardtrace.examples.spark

import io.guardtrace.GuardTrace
import io.guardtrace.examples.cli.DemoModel
import org.apache.spark.SparkFiles

import java.io.{File, PrintWriter}
import java.nio.file.{Files, Path}
import scala.collection.mutable
import scala.util.control.NonFatal

/**
 * The executor JVM's guards: one [[io.guardtrace.GuardTrace]] per distinct [[GuardOptions]] (in practice one
 * per executor, or one per GPU an executor's tasks were given), loaded by the first task that needs it and
 * shared by every later task of that JVM. A GuardTrace is thread-safe and holds gigabytes of weights, so one
 * per task or per row would multiply the memory and the load time; sharing it also lets the requests of
 * concurrent tasks share decode steps. The guards are closed when the JVM shuts down.
 *
 * Thread-safe: loading happens under the holder's lock, so tasks that start together wait for one load
 * rather than each loading the model.
 */
object ExecutorGuard {
  private val guards = mutable.LinkedHashMap.empty[GuardOptions, GuardTrace]
  private var loadCount = 0
  private var hookInstalled = false

  /**
   * The guard for `options`, loaded on first use.
   *
   * @throws io.guardtrace.ModelLoadException when the model cannot be found or loaded
   */
  def get(options: GuardOptions): GuardTrace = synchronized {
    val key = options.copy(inFlight = None) // a task's window is not a setting of the guard
    guards.getOrElseUpdate(key, load(key))
  }

  /** How many guards this JVM has loaded so far (one per distinct options while none is closed). */
  def loads: Int = synchronized(loadCount)

  /** Closes every guard of this JVM (the shutdown hook; tests). A later [[get]] loads again. */
  def closeAll(): Unit = {
    val open = synchronized {
      val all = guards.values.toList
      guards.clear()
      all
    }
    open.foreach(g => try g.close() catch { case NonFatal(_) => () })
  }

  private def load(options: GuardOptions): GuardTrace = {
    if (!hookInstalled) {
      Runtime.getRuntime.addShutdownHook(new Thread(() => closeAll(), "guardtrace-spark-close"))
      hookInstalled = true
    }
    val guard = options.builder().model(modelDirectory(options.model)).build()
    loadCount += 1
    guard
  }

  /**
   * Where this JVM finds `model`: `demo` is built here (seeded, so every executor gets the same weights); an
   * existing directory is used as is; a name shipped with `--archives`/`--files` is looked up in the working
   * directory (YARN, Kubernetes) and then in SparkFiles' directory (standalone, local); anything else goes to
   * the builder as a Hugging Face id.
   */
  private def modelDirectory(model: String): String =
    if (model == "demo") {
      DemoModel.directory(new PrintWriter(System.err, true)).toString
    } else if (Files.isDirectory(Path.of(model)) || Path.of(model).isAbsolute) {
      model
    } else {
      shippedDirectory(model).getOrElse(model)
    }

  private def shippedDirectory(name: String): Option[String] =
    try {
      Some(new File(SparkFiles.getRootDirectory(), name)).filter(_.isDirectory).map(_.getPath)
    } catch {
      case NonFatal(_) => None // not inside a Spark JVM (no SparkEnv yet)
    }
}
