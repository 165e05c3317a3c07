package io.guardtrace.examples.spark

import io.guardtrace.{InvalidImageException, InvalidInputException, QtaTrace, TraceImage}
import org.apache.spark.sql.Row
import org.apache.spark.sql.types.{ArrayType, BinaryType, DataType, StringType, StructType}

import java.net.URI
import java.nio.file.{InvalidPathException, Path}
import scala.util.control.NonFatal

/**
 * Where a trace's fields sit in the input rows, worked out once on the driver from the input's schema, and how
 * a row becomes a [[io.guardtrace.QtaTrace]] on the executors. The columns are those of the CLI's trace file:
 * `question` and `answer` (strings, required), `thinking` (string, optional) and `images`, which may hold
 * paths (`array<string>` or one `string`) or encoded image bytes (`array<binary>` or one `binary`).
 *
 * A relative image path is resolved against `imageBase` when one is set, else against the directory of the
 * file the row was read from (as the CLI resolves it against the trace file). Paths are read by the executors
 * from their own filesystem, so they must be visible there (a shared filesystem, or files shipped with the job).
 *
 * @param sourceFile the column holding the row's input file (Spark's `_metadata.file_path`), when needed
 */
final case class TraceColumns(
    question: Int,
    thinking: Option[Int],
    answer: Int,
    images: Option[(Int, TraceColumns.ImageKind)],
    corruptRecord: Option[Int],
    sourceFile: Option[Int],
    imageBase: Option[String]) {

  import TraceColumns._

  /**
   * The row's trace.
   *
   * @throws InvalidInputException when the row is no usable trace (a field missing, a line that is no JSON, a
   *                               blank question without image, an image path that cannot be resolved)
   */
  def trace(row: Row): QtaTrace = {
    corruptRecord.filterNot(row.isNullAt).foreach { i =>
      throw new InvalidInputException(s"the line is not a valid JSON object: ${abbreviate(row.getString(i))}")
    }
    val b = QtaTrace.builder().question(required(row, question, "question")).answer(required(row, answer, "answer"))
    thinking.filterNot(row.isNullAt).foreach(i => b.thinking(row.getString(i)))
    images.filterNot { case (i, _) => row.isNullAt(i) }.foreach { case (i, kind) =>
      imagesOf(row, i, kind).foreach(b.image)
    }
    b.build()
  }

  private def imagesOf(row: Row, i: Int, kind: ImageKind): Seq[TraceImage] = kind match {
    case PathList => row.getSeq[String](i).map(p => pathImage(row, p))
    case BytesList => row.getSeq[Array[Byte]](i).map(bytesImage)
    case OnePath => Seq(pathImage(row, row.getString(i)))
    case OneBytes => Seq(bytesImage(row.getAs[Array[Byte]](i)))
  }

  private def bytesImage(bytes: Array[Byte]): TraceImage =
    if (bytes == null) throw new InvalidImageException("(null)", "the images column holds a null entry")
    else TraceImage.ofBytes(bytes)

  private def pathImage(row: Row, raw: String): TraceImage = {
    if (raw == null || raw.isBlank) {
      throw new InvalidImageException(s"'$raw'", "the images column holds an empty path")
    }
    if (raw.startsWith("file:")) {
      return TraceImage.ofPath(localPath(raw).getOrElse(throw notLocal(raw)))
    }
    if (Scheme.findPrefixOf(raw).isDefined) {
      throw notLocal(raw)
    }
    val path = try Path.of(raw) catch {
      case e: InvalidPathException => throw new InvalidImageException(raw, s"is not a valid path: ${e.getMessage}", e)
    }
    if (path.isAbsolute) {
      return TraceImage.ofPath(path)
    }
    val base = imageBase.map(Path.of(_)).orElse(sourceFile.filterNot(row.isNullAt).flatMap { i =>
      localPath(row.getString(i)).map(_.getParent)
    }).getOrElse(throw new InvalidImageException(raw, "is relative and the input is not on a local filesystem: " +
      "pass an image base directory (--image-base) visible to the executors"))
    TraceImage.ofPath(base.resolve(path))
  }
}

/** Finding the trace columns in a schema. */
object TraceColumns {

  /** How the `images` column holds a row's images. */
  sealed trait ImageKind extends Serializable
  /** `array<string>`: paths. */
  case object PathList extends ImageKind
  /** `array<binary>`: encoded images (PNG, JPEG...). */
  case object BytesList extends ImageKind
  /** `string`: one path. */
  case object OnePath extends ImageKind
  /** `binary`: one encoded image. */
  case object OneBytes extends ImageKind

  /** The column Spark's JSON reader fills with a line it cannot parse (PERMISSIVE mode). */
  val CorruptRecord = "_corrupt_record"

  private val Scheme = "^[A-Za-z][A-Za-z0-9+.-]*://".r

  /**
   * The trace columns of `schema`.
   *
   * @param sourceFileColumn the name of the column holding each row's input file, if the input has one
   * @throws IllegalArgumentException when a required column is missing or a column has a type it cannot hold
   */
  def of(schema: StructType, imageBase: Option[String], sourceFileColumn: Option[String]): TraceColumns = {
    def text(name: String, required: Boolean): Option[Int] = index(schema, name) match {
      case None if required =>
        throw new IllegalArgumentException(s"the input has no '$name' column (columns: ${schema.fieldNames.mkString(", ")})")
      case Some(i) if schema(i).dataType != StringType =>
        throw new IllegalArgumentException(s"the input's '$name' column must be a string, was ${schema(i).dataType.simpleString}")
      case other => other
    }
    val images = index(schema, "images").map(i => i -> kindOf(schema(i).dataType))
    TraceColumns(text("question", required = true).get, text("thinking", required = false),
      text("answer", required = true).get, images, text(CorruptRecord, required = false),
      sourceFileColumn.flatMap(index(schema, _)), imageBase)
  }

  /**
   * How `schema`'s `images` column holds images, if it has one.
   *
   * @throws IllegalArgumentException when the column has a type that holds no images
   */
  def imageKind(schema: StructType): Option[ImageKind] =
    index(schema, "images").map(i => kindOf(schema(i).dataType))

  private def index(schema: StructType, name: String): Option[Int] = Some(schema.fieldNames.indexOf(name)).filter(_ >= 0)

  /** Whether `images` holds bytes (such a column is not copied to the output). */
  def isBinary(kind: ImageKind): Boolean = kind == BytesList || kind == OneBytes

  private def kindOf(t: DataType): ImageKind = t match {
    case ArrayType(StringType, _) => PathList
    case ArrayType(BinaryType, _) => BytesList
    case StringType => OnePath
    case BinaryType => OneBytes
    case other => throw new IllegalArgumentException("the input's 'images' column must be array<string> (paths), " +
      s"array<binary> (encoded images), string or binary, was ${other.simpleString}")
  }

  private def required(row: Row, i: Int, name: String): String =
    if (row.isNullAt(i)) throw new InvalidInputException(s"the row has no \"$name\"") else row.getString(i)

  private def localPath(uriOrPath: String): Option[Path] =
    try {
      val uri = URI.create(uriOrPath)
      if (uri.getScheme == null) Some(Path.of(uriOrPath))
      else if (uri.getScheme == "file") Some(Path.of(uri))
      else None
    } catch {
      case NonFatal(_) => None
    }

  private def notLocal(raw: String): InvalidImageException =
    new InvalidImageException(raw, "is not a local path: executors read image paths from their own filesystem; " +
      "load remote images as a binary column (spark.read.format(\"binaryFile\")) or copy them to a shared filesystem")

  private def abbreviate(s: String): String = if (s.length > 80) s.take(77) + "..." else s
}
