package io.guardtrace;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.LinkOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Arrays;
import java.util.Objects;
import javax.imageio.ImageIO;
import org.jspecify.annotations.Nullable;

/**
 * An image of a trace, held as its encoded bytes (PNG, JPEG, GIF, BMP, WebP...). Immutable and thread-safe.
 *
 * <p>Equality and hashing use a SHA-256 of the encoded bytes, so equal images key the verdict cache alike
 * whatever array or file they came from. Nothing is decoded here: the engine decodes lazily, checking the
 * declared pixel count from the header before it allocates the pixels. A path is read on first use, so a
 * missing file fails when the trace is moderated (with {@link InvalidImageException}), not when it is built;
 * {@link GuardTrace} reads it inside the request, on its executor, within the request's deadline.
 *
 * <p>Only a regular file is read (a symbolic link to one is fine): a directory, device, FIFO or socket is an
 * {@link InvalidImageException} before it is opened, and no more than {@link #MAX_ENCODED_BYTES} + 1 bytes are
 * ever read, whatever size the file reports.
 */
public final class TraceImage {
  /** Encoded images larger than this are refused before they are read: 64 MiB. */
  public static final long MAX_ENCODED_BYTES = 64L << 20;

  private final @Nullable Path path;
  private final String description;
  private volatile byte @Nullable [] bytes;
  private volatile @Nullable String sha256;

  private TraceImage(@Nullable Path path, byte @Nullable [] bytes, String description) {
    this.path = path;
    this.bytes = bytes;
    this.description = description;
  }

  /**
   * An image read from {@code path} when first needed.
   *
   * @param path the image file
   * @return the image
   */
  public static TraceImage ofPath(Path path) {
    Objects.requireNonNull(path, "path");
    return new TraceImage(path, null, path.toString());
  }

  /**
   * An image from its encoded bytes (the array is copied).
   *
   * @param encoded the encoded image
   * @return the image
   */
  public static TraceImage ofBytes(byte[] encoded) {
    Objects.requireNonNull(encoded, "encoded");
    if (encoded.length > MAX_ENCODED_BYTES) {
      throw new InvalidImageException(
          "of " + encoded.length + " bytes", "larger than the " + MAX_ENCODED_BYTES + "-byte limit");
    }
    return new TraceImage(null, encoded.clone(), "of " + encoded.length + " bytes");
  }

  /**
   * An image from pixels already in memory. It is encoded losslessly as PNG, so the model sees exactly these
   * pixels (alpha, if any, is dropped by the model's RGB conversion).
   *
   * @param image the pixels
   * @return the image
   */
  public static TraceImage ofImage(BufferedImage image) {
    Objects.requireNonNull(image, "image");
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      if (!ImageIO.write(image, "png", out)) {
        throw new InvalidImageException("in memory", "cannot be encoded as PNG (image type " + image.getType() + ")");
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    byte[] png = out.toByteArray();
    return new TraceImage(null, png, "in memory (" + image.getWidth() + "x" + image.getHeight() + ")");
  }

  /**
   * Where the image came from, for messages: its path, or its size.
   *
   * @return the description
   */
  public String description() {
    return description;
  }

  /**
   * The file this image is read from, or null when it was given as bytes or pixels.
   *
   * @return the file, or null
   */
  public @Nullable Path path() {
    return path;
  }

  /**
   * The encoded bytes (a copy).
   *
   * @return a copy of the bytes
   * @throws InvalidImageException when the file cannot be read or is too large
   */
  public byte[] bytes() {
    return load().clone();
  }

  /**
   * A stream over the encoded bytes.
   *
   * @return a new stream
   */
  public InputStream openStream() {
    return new ByteArrayInputStream(load());
  }

  /**
   * The number of encoded bytes.
   *
   * @return the size in bytes
   */
  public int size() {
    return load().length;
  }

  /**
   * The lowercase hex SHA-256 of the encoded bytes.
   *
   * @return the digest
   */
  public String sha256() {
    String h = sha256;
    if (h == null) {
      h = Sha256.ofBytes(load());
      sha256 = h;
    }
    return h;
  }

  private byte[] load() {
    byte[] b = bytes;
    if (b == null) {
      synchronized (this) {
        b = bytes;
        if (b == null) {
          b = readFile(Objects.requireNonNull(path));
          bytes = b;
        }
      }
    }
    return b;
  }

  /**
   * Reads an image file with checks that hold whatever the file claims about itself: only a regular file is
   * opened (a symbolic link to one is fine), because opening a FIFO blocks until a writer appears and a
   * device such as {@code /dev/zero} never ends; and at most {@link #MAX_ENCODED_BYTES} + 1 bytes are read,
   * because a file's reported size can be wrong ({@code /proc} files report 0) or change while it is read.
   */
  private static byte[] readFile(Path path) {
    String name = path.toString();
    try {
      // the file the path leads to, links resolved, is what gets checked and then opened
      Path real = path.toRealPath();
      BasicFileAttributes attrs = Files.readAttributes(real, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
      if (!attrs.isRegularFile()) {
        throw new InvalidImageException(name, "is " + (attrs.isDirectory() ? "a directory" : "not a regular file "
            + "(a device, FIFO or socket)") + "; an image must be a regular file");
      }
      if (attrs.size() > MAX_ENCODED_BYTES) {
        throw new InvalidImageException(
            name, "file is " + attrs.size() + " bytes, over the " + MAX_ENCODED_BYTES + "-byte limit");
      }
      // opened without following links: a link put in the checked file's place since makes the open fail
      // instead of leading somewhere unchecked. (A FIFO renamed into its place in between would still block
      // this thread; the request's deadline still ends the caller's wait.)
      try (InputStream in = Files.newInputStream(real, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS)) {
        return readBounded(in, attrs.size(), (int) MAX_ENCODED_BYTES, name);
      }
    } catch (NoSuchFileException e) {
      throw new InvalidImageException(name, "file not found", e);
    } catch (IOException e) {
      throw new InvalidImageException(name, "cannot be read: " + e.getMessage(), e);
    }
  }

  /**
   * All of {@code in}, refusing it once it proves longer than {@code max} bytes: never more than {@code max}
   * + 1 bytes are read, whatever {@code sizeHint} (the size the file reported) says.
   *
   * @throws InvalidImageException when the stream holds more than {@code max} bytes
   */
  static byte[] readBounded(InputStream in, long sizeHint, int max, String name) throws IOException {
    byte[] buf = new byte[(int) Math.min(Math.max(sizeHint, 0), max)];
    int n = 0;
    while (true) {
      if (n == buf.length) {
        // full: one more byte tells the end of the file from a file longer than it claimed
        int next = in.read();
        if (next < 0) {
          return buf;
        }
        if (n >= max) {
          throw new InvalidImageException(name, "holds more than the " + max + "-byte limit (it reported "
              + sizeHint + " bytes; reading stopped at the limit)");
        }
        buf = Arrays.copyOf(buf, (int) Math.min(max, Math.max(8192L, 2L * buf.length)));
        buf[n++] = (byte) next;
        continue;
      }
      int r = in.read(buf, n, buf.length - n);
      if (r < 0) {
        return Arrays.copyOf(buf, n);
      }
      n += r;
    }
  }

  @Override
  public boolean equals(@Nullable Object o) {
    return o instanceof TraceImage other && sha256().equals(other.sha256());
  }

  @Override
  public int hashCode() {
    return sha256().hashCode();
  }

  @Override
  public String toString() {
    return "TraceImage[" + description + "]";
  }
}
