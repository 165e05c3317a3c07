package io.guardtrace.models.safetensors;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.guardtrace.models.config.Json;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.List;

/**
 * Writes a {@code .safetensors} file tensor by tensor without holding the data on the heap: the header
 * (8-byte little-endian length, then JSON padded with spaces to a multiple of 8, with
 * {@code __metadata__: {"format": "pt"}} as torch writes it) is computed from the declared tensors, then each
 * tensor's bytes are produced by a {@link Filler} into a reusable buffer. The file is written to a temporary
 * name and moved into place, so a crash never leaves a half-written file under the final name.
 */
public final class SafetensorsWriter {
  /** A tensor to write. */
  public record Spec(String name, Dtype dtype, long[] shape, Filler filler) {
    long bytes() {
      long n = dtype.bytes();
      for (long d : shape) {
        n *= d;
      }
      return n;
    }
  }

  /** Produces a tensor's bytes, in order, into buffers handed to it. */
  @FunctionalInterface
  public interface Filler {
    /**
     * Fills {@code out} (little-endian, {@code out.remaining()} bytes, a multiple of the element size) with
     * the elements starting at element {@code offset}.
     *
     * @param out the buffer to fill
     * @param offset the index of its first element in the tensor
     */
    void fill(ByteBuffer out, long offset);
  }

  private static final int CHUNK = 16 << 20;

  private SafetensorsWriter() {}

  /**
   * Writes {@code tensors} to {@code file}.
   *
   * @param file the file to write
   * @param tensors the tensors, in order
   */
  public static void write(Path file, List<Spec> tensors) {
    ObjectNode header = Json.MAPPER.createObjectNode();
    header.putObject("__metadata__").put("format", "pt");
    long offset = 0;
    for (Spec s : tensors) {
      ObjectNode t = header.putObject(s.name());
      t.put("dtype", s.dtype().name());
      var shape = t.putArray("shape");
      for (long d : s.shape()) {
        shape.add(d);
      }
      t.putArray("data_offsets").add(offset).add(offset + s.bytes());
      offset += s.bytes();
    }
    byte[] json = header.toString().getBytes(StandardCharsets.UTF_8);
    int padded = (json.length + 7) / 8 * 8;
    Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
    try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
        StandardOpenOption.TRUNCATE_EXISTING)) {
      ByteBuffer head = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN);
      head.putLong(padded).put(json);
      while (head.hasRemaining()) {
        head.put((byte) ' ');
      }
      head.flip();
      writeFully(ch, head);
      ByteBuffer buf = ByteBuffer.allocateDirect(CHUNK).order(ByteOrder.LITTLE_ENDIAN);
      for (Spec s : tensors) {
        long total = s.bytes();
        int elem = s.dtype().bytes();
        long done = 0;
        while (done < total) {
          int n = (int) Math.min(CHUNK / elem * (long) elem, total - done);
          buf.clear().limit(n);
          s.filler().fill(buf, done / elem);
          buf.position(0).limit(n);
          writeFully(ch, buf);
          done += n;
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file, e);
    }
    try {
      Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot move " + tmp + " to " + file, e);
    }
  }

  private static void writeFully(FileChannel ch, ByteBuffer b) throws IOException {
    while (b.hasRemaining()) {
      ch.write(b);
    }
  }
}
