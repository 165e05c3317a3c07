package io.guardtrace.testing;

import io.guardtrace.TraceImage;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.zip.CRC32;
import javax.imageio.ImageIO;

/** Images made on the spot: a real PNG, a truncated one, and a header-only decompression bomb. */
final class TestImages {
  private TestImages() {}

  /** A {@code width x height} PNG with a gradient (so its pixel data is not trivially compressible). */
  static byte[] png(int width, int height) {
    BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
    for (int y = 0; y < height; y++) {
      for (int x = 0; x < width; x++) {
        img.setRGB(x, y, (x * 7 + y * 13) * 0x010203 & 0xFFFFFF);
      }
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      ImageIO.write(img, "png", out);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  /** A PNG cut in the middle of its pixel data: the header reads, the pixels do not. */
  static TraceImage truncatedPng() {
    byte[] full = png(64, 64);
    return TraceImage.ofBytes(Arrays.copyOf(full, full.length / 2));
  }

  /** A 100-byte PNG whose header declares {@code width x height} pixels, with no pixel data. */
  static TraceImage bomb(int width, int height) {
    ByteBuffer b = ByteBuffer.allocate(8 + 25 + 12);
    b.put(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'});
    b.putInt(13).put(new byte[] {'I', 'H', 'D', 'R'}).putInt(width).putInt(height).put((byte) 8).put((byte) 2)
        .put((byte) 0).put((byte) 0).put((byte) 0);
    CRC32 crc = new CRC32();
    crc.update(b.array(), 12, 17);
    b.putInt((int) crc.getValue());
    b.putInt(0).put(new byte[] {'I', 'E', 'N', 'D'}).putInt(0xAE426082);
    return TraceImage.ofBytes(b.array());
  }
}
