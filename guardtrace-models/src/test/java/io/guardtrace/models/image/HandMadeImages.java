package io.guardtrace.models.image;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.jspecify.annotations.Nullable;

/**
 * Image files written byte by byte, so a test controls exactly the fields ImageIO's writers would not let it
 * choose (16-bit BMP layouts).
 */
final class HandMadeImages {
  private HandMadeImages() {}

  /**
   * A bottom-up 16-bit BMP with a 40-byte BITMAPINFOHEADER.
   *
   * @param pixels {@code height * width} 16-bit words, top row first
   * @param masks {@code null} for BI_RGB (5-5-5 by definition), else the three BI_BITFIELDS masks R, G, B
   */
  static byte[] bmp16(int width, int height, int[] pixels, int @Nullable [] masks) {
    int stride = (width * 2 + 3) & ~3; // rows padded to 4 bytes
    int offset = 14 + 40 + (masks == null ? 0 : 12);
    ByteBuffer b = ByteBuffer.allocate(offset + stride * height).order(ByteOrder.LITTLE_ENDIAN);
    b.put((byte) 'B').put((byte) 'M').putInt(b.capacity()).putInt(0).putInt(offset);
    b.putInt(40).putInt(width).putInt(height).putShort((short) 1).putShort((short) 16)
        .putInt(masks == null ? 0 : 3).putInt(stride * height).putInt(2835).putInt(2835).putInt(0).putInt(0);
    if (masks != null) {
      for (int m : masks) {
        b.putInt(m);
      }
    }
    for (int y = height - 1; y >= 0; y--) {
      int row = b.position();
      for (int x = 0; x < width; x++) {
        b.putShort((short) pixels[y * width + x]);
      }
      b.position(row + stride);
    }
    return b.array();
  }
}
