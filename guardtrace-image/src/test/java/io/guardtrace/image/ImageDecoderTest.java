package io.guardtrace.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.guardtrace.InvalidImageException;
import io.guardtrace.TraceImage;
import java.awt.image.BufferedImage;
import java.awt.image.IndexColorModel;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.util.Arrays;
import java.util.zip.CRC32;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;

/** Formats, PIL-style RGB conversion, and hostile input. */
class ImageDecoderTest {
  final ImageDecoder decoder = new ImageDecoder(50_000_000L);

  static byte[] encode(BufferedImage img, String format) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    assertThat(ImageIO.write(img, format, out)).as("writer for " + format).isTrue();
    return out.toByteArray();
  }

  static BufferedImage pattern(int type) {
    BufferedImage img = new BufferedImage(17, 9, type);
    for (int y = 0; y < 9; y++) {
      for (int x = 0; x < 17; x++) {
        img.setRGB(x, y, (x * 15) << 16 | (y * 28) << 8 | ((x + y) * 7));
      }
    }
    return img;
  }

  @Test
  void pngBmpGif_decodeExactly() throws IOException {
    BufferedImage src = pattern(BufferedImage.TYPE_INT_RGB);
    for (String format : new String[] {"png", "bmp"}) {
      RgbImage rgb = decoder.decode(TraceImage.ofBytes(encode(src, format)));
      assertThat(rgb.width()).isEqualTo(17);
      assertThat(rgb.height()).isEqualTo(9);
      int p = (4 * 17 + 5) * 3;
      assertThat(new int[] {rgb.rgb()[p] & 0xff, rgb.rgb()[p + 1] & 0xff, rgb.rgb()[p + 2] & 0xff})
          .as(format).containsExactly(75, 112, 63);
    }
    BufferedImage gif = new BufferedImage(4, 2, BufferedImage.TYPE_BYTE_INDEXED,
        new IndexColorModel(8, 2, new byte[] {0, (byte) 200}, new byte[] {0, 10}, new byte[] {0, 20}));
    gif.getRaster().setSample(1, 0, 0, 1);
    RgbImage g = decoder.decode(TraceImage.ofBytes(encode(gif, "gif")));
    assertThat(Arrays.copyOfRange(g.rgb(), 3, 6)).containsExactly((byte) 200, (byte) 10, (byte) 20);
  }

  private static int[] unsigned(RgbImage img) {
    int[] out = new int[img.rgb().length];
    for (int i = 0; i < out.length; i++) {
      out[i] = img.rgb()[i] & 0xFF;
    }
    return out;
  }

  @Test
  void bmp565_expandsLikePillowsBgr16Unpacker() {
    // Pillow reads a 5-6-5 BI_BITFIELDS BMP with rawmode BGR;16 (BmpImagePlugin), whose unpacker
    // (ImagingUnpackBGR16 in Unpack.c) widens 5-bit v to v * 255 / 31 and 6-bit v to v * 255 / 63, truncated.
    // Two rows, 64 wide: every 5-bit and every 6-bit value appears, bottom-up row order is exercised.
    int w = 64;
    int[] px = new int[w * 2];
    for (int x = 0; x < w; x++) {
      px[x] = (x & 31) << 11 | x << 5 | (31 - (x & 31));
      px[w + x] = (31 - (x & 31)) << 11 | (63 - x) << 5 | (x & 31);
    }
    RgbImage rgb = decoder.decode(TraceImage.ofBytes(HandMadeImages.bmp16(w, 2, px, new int[] {0xF800, 0x7E0, 0x1F})));
    assertThat(rgb.width()).isEqualTo(w);
    int[] expected = new int[w * 2 * 3];
    for (int i = 0; i < w * 2; i++) {
      expected[i * 3] = (px[i] >> 11 & 31) * 255 / 31;
      expected[i * 3 + 1] = (px[i] >> 5 & 63) * 255 / 63;
      expected[i * 3 + 2] = (px[i] & 31) * 255 / 31;
    }
    assertThat(unsigned(rgb)).isEqualTo(expected);
    // Written out where truncation differs from rounding and from bit replication (which give 132 and 130):
    // x = 16 is (16, 16, 15) -> (131, 64, 123); x = 32 is (0, 32, 31) -> (0, 129, 255).
    assertThat(Arrays.copyOfRange(unsigned(rgb), 16 * 3, 17 * 3)).containsExactly(131, 64, 123);
    assertThat(Arrays.copyOfRange(unsigned(rgb), 32 * 3, 33 * 3)).containsExactly(0, 129, 255);
  }

  @Test
  void bmp555_expandsLikePillowsBgr15Unpacker_bothHeaderForms() {
    // A 16-bit BI_RGB BMP is 5-5-5 (Pillow's BIT2MODE: rawmode BGR;15); so is BI_BITFIELDS with masks
    // 7C00/3E0/1F. ImagingUnpackBGR15 widens each channel to v * 255 / 31 truncated and ignores bit 15.
    int w = 33; // 66 bytes a row: 2 bytes of padding
    int[] px = new int[w];
    for (int x = 0; x < w; x++) {
      px[x] = 0x8000 | (x & 31) << 10 | (31 - (x & 31)) << 5 | (x * 7 & 31);
    }
    int[] expected = new int[w * 3];
    for (int x = 0; x < w; x++) {
      expected[x * 3] = (px[x] >> 10 & 31) * 255 / 31;
      expected[x * 3 + 1] = (px[x] >> 5 & 31) * 255 / 31;
      expected[x * 3 + 2] = (px[x] & 31) * 255 / 31;
    }
    for (int[] masks : new int[][] {null, {0x7C00, 0x3E0, 0x1F}}) {
      RgbImage rgb = decoder.decode(TraceImage.ofBytes(HandMadeImages.bmp16(w, 1, px, masks)));
      assertThat(unsigned(rgb)).as(masks == null ? "BI_RGB" : "BI_BITFIELDS").isEqualTo(expected);
      assertThat(unsigned(rgb)[16 * 3]).isEqualTo(131); // 16 * 255 / 31 = 131.6, not 132
    }
  }

  /** The palette of the hand-made GIFs: index 0 is a colour no test pixel uses. */
  static final int[] GIF_PALETTE = {0x102030, 0xFF0000, 0x00FF00, 0x0000FF};

  /** {@code rgb} as one 0xRRGGBB int a pixel. */
  private static int[] pixels(RgbImage rgb) {
    int[] u = unsigned(rgb);
    int[] out = new int[u.length / 3];
    for (int i = 0; i < out.length; i++) {
      out[i] = u[i * 3] << 16 | u[i * 3 + 1] << 8 | u[i * 3 + 2];
    }
    return out;
  }

  @Test
  void gifFrameOffsetInLargerScreen_isPlacedOnTheTransparentIndex() {
    // Pillow (GifImagePlugin): the image is the logical screen; for the first frame load_prepare fills it
    // with the frame's transparent index, the frame is decoded at its offset, and convert("RGB") shows the
    // palette colour of every index (transparency is dropped, not composited).
    byte[] gif = HandMadeImages.gif(4, 3, GIF_PALETTE, 1, 1, 1, 2, 1, new int[] {1, 3}, 2);
    assertThat(decoder.size(TraceImage.ofBytes(gif))).containsExactly(4, 3);
    RgbImage rgb = decoder.decode(TraceImage.ofBytes(gif));
    assertThat(rgb.width()).isEqualTo(4);
    assertThat(rgb.height()).isEqualTo(3);
    int g = 0x00FF00;
    assertThat(pixels(rgb)).containsExactly(
        g, g, g, g,
        g, 0xFF0000, 0x0000FF, g,
        g, g, g, g);
  }

  @Test
  void gifFrameOffsetWithoutTransparency_isPlacedOnIndexZeroNotTheBackgroundIndex() {
    // No transparent index: the canvas is a fresh zero-filled image (ImageFile.load_prepare), i.e. index 0.
    // The screen's background index (1 here, red) is not used for the first frame.
    byte[] gif = HandMadeImages.gif(3, 2, GIF_PALETTE, 1, 2, 1, 1, 1, new int[] {3}, -1);
    RgbImage rgb = decoder.decode(TraceImage.ofBytes(gif));
    int z = 0x102030;
    assertThat(pixels(rgb)).containsExactly(z, z, z, z, z, 0x0000FF);
  }

  @Test
  void gifFrameOverhangingTheScreen_growsTheImage() {
    // _seek: a frame reaching past the logical screen enlarges the image to hold it.
    byte[] gif = HandMadeImages.gif(2, 2, GIF_PALETTE, 0, 1, 1, 2, 2, new int[] {1, 3, 3, 1}, -1);
    assertThat(decoder.size(TraceImage.ofBytes(gif))).containsExactly(3, 3);
    int z = 0x102030;
    assertThat(pixels(decoder.decode(TraceImage.ofBytes(gif)))).containsExactly(
        z, z, z,
        z, 0xFF0000, 0x0000FF,
        z, 0x0000FF, 0xFF0000);
  }

  @Test
  void gifTransparentIndexBeyondThePalette_fillsBlack() {
    // Pillow's palette holds the table's 4 entries and zeros after them (ImagingPaletteNew callocs, putpalette
    // copies 4), so index 7 converts to black; Java's colour model has no entry 7 at all.
    byte[] gif = HandMadeImages.gif(2, 1, GIF_PALETTE, 0, 1, 0, 1, 1, new int[] {1}, 7);
    assertThat(pixels(decoder.decode(TraceImage.ofBytes(gif)))).containsExactly(0x000000, 0xFF0000);
  }

  @Test
  void gifWithoutAnyColourTable_isGreyEqualToTheIndex() {
    // No global or local colour table: Pillow opens the GIF in mode L, so index v becomes (v, v, v).
    // Java's GIF reader substitutes a default 256-colour palette instead (index 1 would be 0x000033).
    byte[] gif = HandMadeImages.gif(3, 1, null, 0, 1, 0, 2, 1, new int[] {1, 3}, -1);
    assertThat(pixels(decoder.decode(TraceImage.ofBytes(gif)))).containsExactly(0x000000, 0x010101, 0x030303);
  }

  @Test
  void jpeg_decodesCloseToSource() throws IOException {
    BufferedImage src = new BufferedImage(32, 32, BufferedImage.TYPE_INT_RGB);
    for (int y = 0; y < 32; y++) {
      for (int x = 0; x < 32; x++) {
        src.setRGB(x, y, 0x808080);
      }
    }
    RgbImage rgb = decoder.decode(TraceImage.ofBytes(encode(src, "jpeg")));
    assertThat(rgb.rgb()[0] & 0xff).isBetween(126, 130);
  }

  @Test
  void webpReader_isRegistered() {
    assertThat(ImageIO.getImageReadersByFormatName("webp").hasNext()).isTrue();
  }

  /** An image of the reference golden data (testdata/qwen2_5_vl/images, located as the build passes it). */
  private static java.nio.file.Path goldenImage(String name) {
    String base = System.getProperty("guardtrace.testdata", "../testdata");
    java.nio.file.Path p = java.nio.file.Path.of(base, "qwen2_5_vl", "images", name);
    assertThat(p).as("golden image").isRegularFile();
    return p;
  }

  private static byte[] resource(String name) throws IOException {
    try (var in = ImageDecoderTest.class.getResourceAsStream(name)) {
      assertThat(in).as("test resource " + name).isNotNull();
      return in.readAllBytes();
    }
  }

  /** The first three bands of every pixel as ImageIO decodes {@code encoded}, read raw from the raster. */
  private static int[] rawRgb(byte[] encoded) throws IOException {
    java.awt.image.Raster r = ImageIO.read(new java.io.ByteArrayInputStream(encoded)).getRaster();
    int[] out = new int[r.getWidth() * r.getHeight() * 3];
    for (int y = 0; y < r.getHeight(); y++) {
      for (int x = 0; x < r.getWidth(); x++) {
        for (int c = 0; c < 3; c++) {
          out[(y * r.getWidth() + x) * 3 + c] = r.getSample(x, y, c);
        }
      }
    }
    return out;
  }

  // The WebP files were made with cwebp 1.2.4 from webp_source_rgba.png (48x32 RGBA, the left 8 columns fully
  // transparent): webp_lossless_rgba.webp with -lossless -exact, webp_lossy_rgba.webp lossy with alpha.
  // webp_lossy_rgba_libwebp.png is dwebp 1.2.4's decoding of the lossy file. Pillow decodes WebP with libwebp
  // (WebPAnimDecoder, non-premultiplied RGBA; the first frame is written as decoded, not blended), and
  // convert("RGB") drops alpha, so the expected RGB is the libwebp RGBA without its alpha.

  @Test
  void losslessWebp_isExact_keepingColourUnderZeroAlpha() throws IOException {
    RgbImage rgb = decoder.decode(TraceImage.ofBytes(resource("webp_lossless_rgba.webp")));
    assertThat(rgb.width()).isEqualTo(48);
    assertThat(rgb.height()).isEqualTo(32);
    assertThat(unsigned(rgb)).isEqualTo(rawRgb(resource("webp_source_rgba.png")));
  }

  @Test
  void lossyWebp_isNotBitExactWithLibwebp_documentedBound() throws IOException {
    // KNOWN DIFFERENCE, not a tolerance to hide: TwelveMonkeys' pure-Java VP8 decoder (3.12.0) does not
    // reproduce libwebp's output. Measured against dwebp 1.2.4: max 64 levels, mean about 3 levels per
    // sample. Lossy WebP inputs therefore reach the model with slightly different pixels than in the
    // reference; PNG, GIF, BMP and lossless WebP are exact. The bounds only catch a decoder gone wrong
    // (a swapped channel order or a misplaced block gives mean differences in the tens).
    int[] got = unsigned(decoder.decode(TraceImage.ofBytes(resource("webp_lossy_rgba.webp"))));
    int[] ref = rawRgb(resource("webp_lossy_rgba_libwebp.png"));
    assertThat(got).hasSameSizeAs(ref);
    int max = 0;
    long sum = 0;
    for (int i = 0; i < ref.length; i++) {
      int d = Math.abs(ref[i] - got[i]);
      max = Math.max(max, d);
      sum += d;
    }
    System.out.printf("lossy WebP vs libwebp 1.2.4: max abs %d, mean abs %.3f levels%n", max,
        (double) sum / ref.length);
    assertThat(max).as("max abs difference to libwebp, uint8 levels").isLessThanOrEqualTo(96);
    assertThat((double) sum / ref.length).as("mean abs difference to libwebp").isLessThan(4.0);
  }

  @Test
  void truncatedWebp_isInvalidImage() throws IOException {
    byte[] full = resource("webp_lossless_rgba.webp");
    assertThatThrownBy(() -> decoder.decode(TraceImage.ofBytes(Arrays.copyOf(full, full.length / 2))))
        .isInstanceOf(InvalidImageException.class).hasMessageContaining("truncated");
  }

  @Test
  void rgba_alphaDroppedNotComposited() throws IOException {
    BufferedImage src = new BufferedImage(2, 1, BufferedImage.TYPE_INT_ARGB);
    src.setRGB(0, 0, 0x00FF8040); // fully transparent orange: PIL keeps the colour
    src.setRGB(1, 0, 0x80102030);
    RgbImage rgb = decoder.decode(TraceImage.ofBytes(encode(src, "png")));
    assertThat(rgb.rgb()).containsExactly((byte) 0xFF, (byte) 0x80, (byte) 0x40, (byte) 0x10, (byte) 0x20,
        (byte) 0x30);
  }

  @Test
  void grayscale_expandedToRgb_and16BitGrayClipped() throws IOException {
    BufferedImage g8 = new BufferedImage(1, 1, BufferedImage.TYPE_BYTE_GRAY);
    g8.getRaster().setSample(0, 0, 0, 77);
    assertThat(decoder.decode(TraceImage.ofBytes(encode(g8, "png"))).rgb()).containsExactly(77, 77, 77);
    BufferedImage g16 = new BufferedImage(2, 1, BufferedImage.TYPE_USHORT_GRAY);
    g16.getRaster().setSample(0, 0, 0, 100);
    g16.getRaster().setSample(1, 0, 0, 40000);
    assertThat(decoder.decode(TraceImage.ofBytes(encode(g16, "png"))).rgb())
        .containsExactly(100, 100, 100, 255, 255, 255);
  }

  @Test
  void fixtureRgbaPng_decodes() {
    RgbImage rgb = decoder.decode(TraceImage.ofPath(goldenImage("img_64x48_rgba.png")));
    assertThat(rgb.width()).isEqualTo(64);
  }

  @Test
  void zeroBytes_truncated_corrupt_unsupported_areInvalidImage() throws IOException {
    byte[] png = encode(pattern(BufferedImage.TYPE_INT_RGB), "png");
    assertThatThrownBy(() -> decoder.decode(TraceImage.ofBytes(new byte[0])))
        .isInstanceOf(InvalidImageException.class).hasMessageContaining("empty");
    assertThatThrownBy(() -> decoder.decode(TraceImage.ofBytes(Arrays.copyOf(png, png.length / 2))))
        .isInstanceOf(InvalidImageException.class).hasMessageContaining("of " + png.length / 2 + " bytes");
    byte[] corrupt = png.clone();
    for (int i = 40; i < corrupt.length - 20; i++) {
      corrupt[i] = (byte) (i * 31);
    }
    assertThatThrownBy(() -> decoder.decode(TraceImage.ofBytes(corrupt))).isInstanceOf(InvalidImageException.class);
    assertThatThrownBy(() -> decoder.decode(TraceImage.ofBytes("just some text, not an image".getBytes())))
        .isInstanceOf(InvalidImageException.class).hasMessageContaining("supported format");
  }

  @Test
  void wrongExtension_isDecodedByContent() throws IOException {
    var tmp = Files.createTempFile("looks-like", ".jpg");
    Files.write(tmp, encode(pattern(BufferedImage.TYPE_INT_RGB), "png"));
    assertThat(decoder.decode(TraceImage.ofPath(tmp)).width()).isEqualTo(17);
    Files.delete(tmp);
  }

  @Test
  void decompressionBomb_rejectedFromHeader() {
    byte[] bomb = pngHeaderOnly(100_000, 100_000);
    long before = Runtime.getRuntime().totalMemory() - Runtime.getRuntime().freeMemory();
    assertThatThrownBy(() -> decoder.decode(TraceImage.ofBytes(bomb))).isInstanceOf(InvalidImageException.class)
        .hasMessageContaining("100000x100000").hasMessageContaining("limit");
    assertThatThrownBy(() -> decoder.size(TraceImage.ofBytes(bomb))).isInstanceOf(InvalidImageException.class);
    long after = Runtime.getRuntime().totalMemory() - Runtime.getRuntime().freeMemory();
    assertThat(after - before).isLessThan(256L << 20);
  }

  @Test
  void aspectRatioOver200_isInvalidImage() {
    assertThatThrownBy(() -> SmartResize.resize(10, 2010, 28, 3136, 12845056, "wide.png"))
        .isInstanceOf(InvalidImageException.class).hasMessageContaining("wide.png").hasMessageContaining("200");
  }

  @Test
  void smartResize_referenceCases() {
    assertThat(SmartResize.resize(480, 640, 28, 3136, 12845056, "x")).containsExactly(476, 644);
    assertThat(SmartResize.resize(480, 640, 28, 3136, 200704, "x")).containsExactly(364, 504);
    assertThat(SmartResize.resize(250, 1000, 28, 3136, 200704, "x")).containsExactly(224, 896);
    assertThat(SmartResize.resize(28, 28, 28, 3136, 12845056, "x")).containsExactly(56, 56);
    assertThat(SmartResize.resize(37, 100, 28, 3136, 12845056, "x")).containsExactly(28, 112);
    // 42 / 28 = 1.5 rounds half to even: 2 -> 56; 70 / 28 = 2.5 -> 2 -> 56
    assertThat(SmartResize.resize(42, 70, 28, 100, 12845056, "x")).containsExactly(56, 56);
  }

  /** A PNG signature and an IHDR chunk declaring {@code w x h}, with a valid CRC, and nothing else. */
  static byte[] pngHeaderOnly(int w, int h) {
    ByteBuffer b = ByteBuffer.allocate(8 + 25);
    b.put(new byte[] {(byte) 0x89, 'P', 'N', 'G', 13, 10, 26, 10});
    b.putInt(13);
    int crcStart = b.position();
    b.put(new byte[] {'I', 'H', 'D', 'R'}).putInt(w).putInt(h).put((byte) 8).put((byte) 2).put((byte) 0)
        .put((byte) 0).put((byte) 0);
    CRC32 crc = new CRC32();
    crc.update(b.array(), crcStart, 17);
    b.putInt((int) crc.getValue());
    return b.array();
  }

  @Test
  void animatedGif_firstFrameIsDecoded() throws IOException {
    javax.imageio.ImageWriter writer = ImageIO.getImageWritersByFormatName("gif").next();
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (javax.imageio.stream.ImageOutputStream out = ImageIO.createImageOutputStream(bytes)) {
      writer.setOutput(out);
      writer.prepareWriteSequence(null);
      for (int color : new int[] {0xFF0000, 0x0000FF}) {
        BufferedImage frame = new BufferedImage(4, 4, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 4; y++) {
          for (int x = 0; x < 4; x++) {
            frame.setRGB(x, y, color);
          }
        }
        writer.writeToSequence(new javax.imageio.IIOImage(frame, null, null), null);
      }
      writer.endWriteSequence();
    }
    RgbImage rgb = decoder.decode(TraceImage.ofBytes(bytes.toByteArray()));
    assertThat(Arrays.copyOfRange(rgb.rgb(), 0, 3)).containsExactly((byte) 0xFF, (byte) 0, (byte) 0);
  }

  @Test
  void sixteenBitRgbPng_keepsHighByte() throws IOException {
    java.awt.image.ComponentColorModel cm = new java.awt.image.ComponentColorModel(
        java.awt.color.ColorSpace.getInstance(java.awt.color.ColorSpace.CS_sRGB), false, false,
        java.awt.Transparency.OPAQUE, java.awt.image.DataBuffer.TYPE_USHORT);
    java.awt.image.WritableRaster raster = cm.createCompatibleWritableRaster(1, 1);
    raster.setPixel(0, 0, new int[] {0x1234, 0xABCD, 0xFFFF});
    BufferedImage img = new BufferedImage(cm, raster, false, null);
    RgbImage rgb = decoder.decode(TraceImage.ofBytes(encode(img, "png")));
    assertThat(rgb.rgb()).containsExactly((byte) 0x12, (byte) 0xAB, (byte) 0xFF);
  }
}
