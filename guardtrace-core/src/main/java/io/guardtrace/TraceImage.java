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
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Objects;
import javax.imageio.ImageIO;
import org.jspecify.annotations.Nullable;

/**
 * An image of a trace, held as its encoded bytes (PNG, JPEG, GIF, BMP, WebP...). Immutable and thread-safe.
 *
 * <p>Equality and hashing use a SHA-256 of the encoded bytes, so equal images key the verdict cache alike
 * whatever array or file they came from. Nothing is decoded here: the engine decodes lazily, checking the
 * declared pixel count from the header before it allocates the pixels. A path is read on first use, so a
 * missing file fails when the trace is moderated (with {@link InvalidImageException}), not when it is built.
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

  /** An image read from {@code path} when first needed. */
  public static TraceImage ofPath(Path path) {
    Objects.requireNonNull(path, "path");
    return new TraceImage(path, null, path.toString());
  }

  /** An image from its encoded bytes (the array is copied). */
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

  /** Where the image came from, for messages: its path, or its size. */
  public String description() {
    return description;
  }

  /** The file this image is read from, or null when it was given as bytes or pixels. */
  public @Nullable Path path() {
    return path;
  }

  /**
   * The encoded bytes (a copy).
   *
   * @throws InvalidImageException when the file cannot be read or is too large
   */
  public byte[] bytes() {
    return load().clone();
  }

  /** A stream over the encoded bytes. */
  public InputStream openStream() {
    return new ByteArrayInputStream(load());
  }

  /** The number of encoded bytes. */
  public int size() {
    return load().length;
  }

  /** The lowercase hex SHA-256 of the encoded bytes. */
  public String sha256() {
    String h = sha256;
    if (h == null) {
      try {
        h = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(load()));
      } catch (NoSuchAlgorithmException e) {
        throw new IllegalStateException("SHA-256 is missing from this JVM", e);
      }
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

  private static byte[] readFile(Path path) {
    try {
      long size = Files.size(path);
      if (size > MAX_ENCODED_BYTES) {
        throw new InvalidImageException(
            path.toString(), "file is " + size + " bytes, over the " + MAX_ENCODED_BYTES + "-byte limit");
      }
      return Files.readAllBytes(path);
    } catch (NoSuchFileException e) {
      throw new InvalidImageException(path.toString(), "file not found", e);
    } catch (IOException e) {
      throw new InvalidImageException(path.toString(), "cannot be read: " + e.getMessage(), e);
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
