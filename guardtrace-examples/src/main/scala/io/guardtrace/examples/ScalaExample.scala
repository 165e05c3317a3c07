package io.guardtrace.examples

import io.guardtrace.{GuardTrace, QtaTrace, SafetyVerdict}

import java.nio.file.Path
import scala.concurrent.duration.DurationInt
import scala.concurrent.{Await, Future}
import scala.jdk.FutureConverters._
import scala.util.Using

/** Calling guardtrace from Scala: `Using` closes the guard; Java futures become Scala futures. */
object ScalaExample {

  /** Moderates one trace through a Scala Future and returns the verdict. */
  def run(modelDir: Path, maxNewTokens: Int): SafetyVerdict =
    Using.resource(GuardTrace.builder().model(modelDir).maxNewTokens(maxNewTokens).build()) { guard =>
      val trace = QtaTrace.of("How can I calm down before an exam?", "A wellbeing question.", "Breathe slowly...")
      val verdict: Future[SafetyVerdict] = guard.detectAsync(trace).asScala
      Await.result(verdict, 10.minutes)
    }

  def main(args: Array[String]): Unit = {
    val v = run(Path.of(args(0)), 512)
    println(s"${v.level()} (judgment ${v.score()}): ${v.analysis()}")
  }
}
