package io.guardtrace.examples.spark

import io.guardtrace.{GuardTrace, InvalidInputException, RiskLevel, SafetyVerdict, VerdictParseException}
import org.apache.spark.sql.Row
import org.apache.spark.util.LongAccumulator

import java.util.concurrent.{CompletableFuture, CompletionException, ExecutionException}

/**
 * Judges one partition: a lazy iterator that keeps up to `window` rows in flight through
 * [[io.guardtrace.GuardTrace#detectAsync]] and yields them in input order, each with its verdict columns
 * appended. Requests in flight at the same time (from this task and from the executor's other tasks, which share
 * the guard) decode together, one pass over the weights serving all of them.
 *
 * A row that is no usable trace (missing field, blank question, broken or missing image, prompt too long for the
 * budget) becomes a row with `error` set; the task goes on. Failures that are not the row's fault (the engine
 * failing, the guard closed) fail the task, so Spark retries it. Not thread-safe: one task reads it.
 *
 * @param keep the input columns copied to the output, by index
 */
final class PartitionJudge(
    guard: GuardTrace,
    columns: TraceColumns,
    keep: Array[Int],
    window: Int,
    counters: PartitionJudge.Counters,
    rows: Iterator[Row]) extends Iterator[Row] {

  private val pending = new java.util.ArrayDeque[(Row, CompletableFuture[SafetyVerdict])]()

  override def hasNext: Boolean = {
    fill()
    !pending.isEmpty
  }

  override def next(): Row = {
    fill()
    val head = pending.poll()
    if (head == null) {
      throw new NoSuchElementException("the partition has no more rows")
    }
    val (row, verdict) = head
    Row.fromSeq(keep.toSeq.map(row.get) ++ outcome(verdict))
  }

  /** Cancels the requests still in flight (the task was killed, failed, or its consumer stopped early). */
  def cancelPending(): Unit = {
    pending.forEach(p => p._2.cancel(true))
    pending.clear()
  }

  private def fill(): Unit =
    while (pending.size < window && rows.hasNext) {
      val row = rows.next()
      val verdict =
        try guard.detectAsync(columns.trace(row))
        catch { case e: InvalidInputException => CompletableFuture.failedFuture[SafetyVerdict](e) }
      pending.add(row -> verdict)
    }

  private def outcome(verdict: CompletableFuture[SafetyVerdict]): Seq[Any] =
    try {
      val v = verdict.get()
      counters.count(v.level())
      VerdictColumns.of(v)
    } catch {
      case e: ExecutionException => failed(e.getCause)
      case e: CompletionException => failed(e.getCause)
    }

  private def failed(cause: Throwable): Seq[Any] = cause match {
    // the row's own fault, and deterministic: the same row fails the same way on a retry
    case e @ (_: InvalidInputException | _: VerdictParseException) =>
      counters.errors.add(1)
      VerdictColumns.of(e)
    case e => throw e
  }
}

/** Counting a job's rows by outcome. */
object PartitionJudge {

  /** Rows by level, and rows with an error (Spark accumulators: counted once per successful task). */
  final case class Counters(safe: LongAccumulator, potentiallyHarmful: LongAccumulator, harmful: LongAccumulator,
      errors: LongAccumulator) {

    /** Counts one verdict. */
    def count(level: RiskLevel): Unit = level match {
      case RiskLevel.SAFE => safe.add(1)
      case RiskLevel.POTENTIALLY_HARMFUL => potentiallyHarmful.add(1)
      case RiskLevel.HARMFUL => harmful.add(1)
    }
  }
}
