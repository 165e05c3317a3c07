package io.guardtrace.image;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import org.jspecify.annotations.Nullable;

/**
 * Image files written byte by byte, so a test controls exactly the fields ImageIO's writers would not let it
 * choose (16-bit BMP layouts, GIF logical screen and frame offset, missing colour tables).
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

  /**
   * A GIF89a with one frame of 2-bit indices.
   *
   * @param palette four 0xRRGGBB entries as the global colour table, or {@code null} for no colour table at all
   * @param background the logical screen's background colour index
   * @param transparent the frame's transparent index (written in a graphic control extension), or -1 for none
   */
  static byte[] gif(int screenW, int screenH, int @Nullable [] palette, int background, int left, int top,
      int width, int height, int[] indices, int transparent) {
    ByteArrayOutputStream o = new ByteArrayOutputStream();
    o.writeBytes("GIF89a".getBytes(StandardCharsets.US_ASCII));
    le16(o, screenW);
    le16(o, screenH);
    o.write(palette == null ? 0x01 : 0x81); // global table flag; table size 2^(1+1) = 4
    o.write(background);
    o.write(0);
    if (palette != null) {
      for (int c : palette) {
        o.write(c >> 16 & 0xFF);
        o.write(c >> 8 & 0xFF);
        o.write(c & 0xFF);
      }
    }
    if (transparent >= 0) {
      o.writeBytes(new byte[] {0x21, (byte) 0xF9, 4, 1, 0, 0, (byte) transparent, 0});
    }
    o.write(0x2C);
    le16(o, left);
    le16(o, top);
    le16(o, width);
    le16(o, height);
    o.write(0); // no local table, not interlaced
    o.write(2); // LZW minimum code size: codes are 3 bits wide, clear = 4, end = 5
    byte[] data = lzwUncompressed(indices);
    for (int p = 0; p < data.length; p += 255) {
      int n = Math.min(255, data.length - p);
      o.write(n);
      o.write(data, p, n);
    }
    o.write(0);
    o.write(0x3B);
    return o.toByteArray();
  }

  /**
   * A valid LZW stream that compresses nothing: a clear code before every second index keeps the code table
   * too small to ever widen the 3-bit codes, so the codes can be packed without modelling the table.
   */
  private static byte[] lzwUncompressed(int[] indices) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    long bits = 0;
    int count = 0;
    for (int i = 0; i <= indices.length; i++) {
      int[] codes = i == indices.length ? new int[] {5} : i % 2 == 0 ? new int[] {4, indices[i]}
          : new int[] {indices[i]};
      for (int code : codes) {
        bits |= (long) code << count;
        count += 3;
        while (count >= 8) {
          out.write((int) (bits & 0xFF));
          bits >>>= 8;
          count -= 8;
        }
      }
    }
    if (count > 0) {
      out.write((int) bits);
    }
    return out.toByteArray();
  }

  private static void le16(ByteArrayOutputStream o, int v) {
    o.write(v & 0xFF);
    o.write(v >> 8 & 0xFF);
  }
}
