package io.guardtrace.models.safetensors;

import io.guardtrace.ModelLoadException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;

/**
 * One {@code .safetensors} file, memory-mapped: an 8-byte little-endian header length, a JSON header naming
 * each tensor's dtype, shape and byte range, then the raw data. Tensors are mapped one by one (each mapping
 * stays under 2 GiB) and never copied through the Java heap unless a caller asks for an array.
 *
 * <p>Thread-safe after construction. Mapped buffers stay valid after {@link #close()} until they are
 * garbage-collected; closing only releases the file channel.
 */
public final class SafetensorsFile implements AutoCloseable {
  /** Headers larger than this are refused as corrupt (published checkpoints stay far below). */
  static final long MAX_HEADER_BYTES = 100L << 20;

  private final Path path;
  private final FileChannel channel;
  private final long dataStart;
  private final Map<String, TensorInfo> tensors;
  private final Map<String, String> metadata;

  private SafetensorsFile(Path path, FileChannel channel, long dataStart,
      Map<String, TensorInfo> tensors, Map<String, String> metadata) {
    this.path = path;
    this.channel = channel;
    this.dataStart = dataStart;
    this.tensors = tensors;
    this.metadata = metadata;
  }

  /**
   * Opens and validates {@code path}: it must be a regular file, its header must pass
   * {@link SafetensorsHeader}'s checks (UTF-8 JSON, no duplicate keys, every entry well-formed, the tensors
   * covering the data section exactly), and every tensor's byte range must lie inside the file (a truncated
   * shard is reported here, naming the tensor). Messages never quote the file's bytes.
   *
   * @param path a {@code .safetensors} file
   * @return the open file
   * @throws ModelLoadException naming the file and what is wrong with it
   */
  public static SafetensorsFile open(Path path) {
    if (!Files.isRegularFile(path)) {
      // a FIFO would block the open below forever, a device would be read without end
      throw new ModelLoadException("weights file " + path + (Files.exists(path)
          ? " is not a regular file (a directory, FIFO or device)" : " does not exist"));
    }
    FileChannel ch;
    try {
      ch = FileChannel.open(path, StandardOpenOption.READ);
    } catch (IOException e) {
      throw new ModelLoadException("cannot open weights file " + path + ": " + e, e);
    }
    try {
      long fileSize = ch.size();
      if (fileSize < 8) {
        throw new ModelLoadException("weights file " + path + " is truncated (" + fileSize + " bytes)");
      }
      ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
      readFully(ch, lenBuf, 0);
      long headerLen = lenBuf.flip().getLong();
      if (headerLen <= 0 || headerLen > MAX_HEADER_BYTES || headerLen > fileSize - 8) {
        // the length's value is not printed: they are the file's first 8 bytes, whatever the file is
        throw new ModelLoadException("weights file " + path + " is not a safetensors file: its header length is"
            + " not between 1 byte and " + Math.min(MAX_HEADER_BYTES, fileSize - 8) + " bytes (file size "
            + fileSize + ")");
      }
      ByteBuffer headerBuf = ByteBuffer.allocate((int) headerLen);
      readFully(ch, headerBuf, 8);
      long dataStart = 8 + headerLen;
      SafetensorsHeader header = SafetensorsHeader.parse(path, headerBuf.array(), fileSize - dataStart);
      return new SafetensorsFile(path, ch, dataStart, header.tensors(), header.metadata());
    } catch (IOException e) {
      closeQuietly(ch);
      throw new ModelLoadException("cannot read weights file " + path + ": " + e, e);
    } catch (RuntimeException e) {
      closeQuietly(ch);
      throw e;
    }
  }

  private static void readFully(FileChannel ch, ByteBuffer buf, long pos) throws IOException {
    while (buf.hasRemaining()) {
      int n = ch.read(buf, pos + buf.position());
      if (n < 0) {
        throw new IOException("unexpected end of file");
      }
    }
  }

  private static void closeQuietly(FileChannel ch) {
    try {
      ch.close();
    } catch (IOException ignored) {
      // nothing more to do
    }
  }

  /**
   * The file.
   *
   * @return the file
   */
  public Path path() {
    return path;
  }

  /**
   * Tensor descriptions by name, in header order.
   *
   * @return tensor descriptions by name, in header order
   */
  public Map<String, TensorInfo> tensors() {
    return tensors;
  }

  /**
   * The header's {@code __metadata__} entries.
   *
   * @return the header's {@code __metadata__} entries
   */
  public Map<String, String> metadata() {
    return metadata;
  }

  /**
   * Whether the file holds {@code name}.
   *
   * @param name a tensor name
   * @return whether the file holds it
   */
  public boolean contains(String name) {
    return tensors.containsKey(name);
  }

  /**
   * The description of {@code name}.
   *
   * @param name a tensor name
   * @return its dtype, shape and byte range
   * @throws ModelLoadException naming the file when the tensor is absent
   */
  public TensorInfo info(String name) {
    TensorInfo info = tensors.get(name);
    if (info == null) {
      throw new ModelLoadException("tensor '" + name + "' is missing from " + path);
    }
    return info;
  }

  /**
   * A read-only little-endian direct buffer over the tensor's bytes, memory-mapped from the file.
   * The caller must not write to it.
   *
   * @param name a tensor name
   * @return the mapped bytes
   */
  public ByteBuffer buffer(String name) {
    TensorInfo info = info(name);
    long size = info.byteSize();
    if (size > Integer.MAX_VALUE) {
      throw new ModelLoadException("tensor '" + name + "' in " + path + " is " + size
          + " bytes; tensors over 2 GiB are not supported");
    }
    try {
      MappedByteBuffer mapped = channel.map(FileChannel.MapMode.READ_ONLY, dataStart + info.begin(), size);
      return mapped.order(ByteOrder.LITTLE_ENDIAN);
    } catch (IOException e) {
      throw new ModelLoadException("cannot map tensor '" + name + "' of " + path + ": " + e, e);
    }
  }

  /**
   * The tensor widened to float32, whatever its floating dtype (F32, BF16, F16, F64). Copies to the heap.
   *
   * @param name a tensor name
   * @return its values
   */
  public float[] floats(String name) {
    return Dtypes.toFloats(info(name).dtype(), buffer(name), name);
  }

  /**
   * The tensor as float64 values (F64 exactly, other floating types widened). Copies to the heap.
   *
   * @param name a tensor name
   * @return its values
   */
  public double[] doubles(String name) {
    TensorInfo info = info(name);
    ByteBuffer b = buffer(name);
    if (info.dtype() == Dtype.F64) {
      double[] out = new double[(int) info.elementCount()];
      b.asDoubleBuffer().get(out);
      return out;
    }
    float[] f = Dtypes.toFloats(info.dtype(), b, name);
    double[] out = new double[f.length];
    for (int i = 0; i < f.length; i++) {
      out[i] = f[i];
    }
    return out;
  }

  /**
   * The tensor as int64 values (I64, I32, U8, I8 widened). Copies to the heap.
   *
   * @param name a tensor name
   * @return its values
   */
  public long[] longs(String name) {
    return Dtypes.toLongs(info(name).dtype(), buffer(name), name);
  }

  /**
   * The raw bytes of the tensor (for U8 data such as images). Copies to the heap.
   *
   * @param name a tensor name
   * @return its bytes
   */
  public byte[] bytes(String name) {
    ByteBuffer b = buffer(name);
    byte[] out = new byte[b.remaining()];
    b.get(out);
    return out;
  }

  @Override
  public void close() {
    closeQuietly(channel);
  }

  @Override
  public String toString() {
    return "SafetensorsFile[" + path + ", " + tensors.size() + " tensors]";
  }
}
