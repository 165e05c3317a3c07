package io.guardtrace.image;

import java.awt.image.BufferedImage;
import java.awt.image.IndexColorModel;
import java.awt.image.Raster;
import java.io.IOException;
import java.util.Arrays;
import javax.imageio.ImageReader;
import javax.imageio.metadata.IIOMetadata;
import javax.imageio.spi.ImageReaderSpi;
import org.jspecify.annotations.Nullable;
import org.w3c.dom.Node;

/**
 * The first frame of a GIF laid out as Pillow 11's GifImagePlugin presents it. Java's GIF reader returns only
 * the frame's own rectangle; Pillow returns a whole canvas:
 *
 * <ul>
 *   <li>the canvas is the logical screen, enlarged to hold the frame when the frame reaches past it
 *       ({@code GifImageFile._seek} grows {@code size} while reading the image descriptor);
 *   <li>before the first frame is decoded the canvas holds the frame's transparent index when its graphic
 *       control extension sets one ({@code load_prepare} fills with it), else index 0 (a freshly allocated,
 *       zeroed image from {@code ImageFile.load_prepare}); the screen's background colour index is not used;
 *   <li>the frame's indices are written at its offset, all of them: for frame 0 the decoder is given no
 *       transparent index to skip, so transparent pixels keep their index too;
 *   <li>{@code convert("RGB")} then maps every index through the palette ({@code p2rgb} in Convert.c),
 *       transparency dropped. Pillow's palette holds the colour table's entries followed by zeros
 *       ({@code ImagingPaletteNew} allocates it cleared, {@code putpalette} copies only the table), so an
 *       index past the table is black;
 *   <li>with no global and no local colour table the GIF opens in mode {@code L}: index v is grey (v, v, v).
 *       Java's reader substitutes a default colour palette there, so that case is mapped here, not by Java.
 *       (Pillow also opens a GIF whose table is the identity grey ramp as {@code L}; the table lookup gives
 *       the same values, so that case needs nothing.)
 * </ul>
 *
 * @param width the canvas width
 * @param height the canvas height
 * @param left the first frame's x offset on the canvas
 * @param top the first frame's y offset on the canvas
 * @param fillIndex the index the canvas holds outside the frame
 * @param hasColourTable whether a global or local colour table applies to the first frame
 */
record GifCanvas(int width, int height, int left, int top, int fillIndex, boolean hasColourTable) {
  private static final String STREAM_FORMAT = "javax_imageio_gif_stream_1.0";
  private static final String IMAGE_FORMAT = "javax_imageio_gif_image_1.0";

  /** Whether {@code reader} is ImageIO's GIF reader (whose metadata {@link #read} understands). */
  static boolean isGif(ImageReader reader) {
    ImageReaderSpi spi = reader.getOriginatingProvider();
    return spi != null && Arrays.asList(spi.getFormatNames()).contains("gif");
  }

  /**
   * The canvas of the first frame, from the stream and first image metadata only (no pixels are decoded). The
   * reader's input must have been set with metadata kept.
   */
  static GifCanvas read(ImageReader reader) throws IOException {
    long frameW = reader.getWidth(0);
    long frameH = reader.getHeight(0);
    Node stream = tree(reader.getStreamMetadata(), STREAM_FORMAT);
    Node screen = child(stream, "LogicalScreenDescriptor");
    long screenW = intAttr(screen, "logicalScreenWidth", 0);
    long screenH = intAttr(screen, "logicalScreenHeight", 0);
    Node image = tree(reader.getImageMetadata(0), IMAGE_FORMAT);
    Node descriptor = child(image, "ImageDescriptor");
    int left = intAttr(descriptor, "imageLeftPosition", 0);
    int top = intAttr(descriptor, "imageTopPosition", 0);
    Node control = child(image, "GraphicControlExtension");
    int fill = control != null && "TRUE".equalsIgnoreCase(attr(control, "transparentColorFlag"))
        ? intAttr(control, "transparentColorIndex", 0) : 0;
    boolean table = child(stream, "GlobalColorTable") != null || child(image, "LocalColorTable") != null;
    // GIF fields are 16-bit, so these sums cannot overflow an int.
    int w = (int) Math.max(screenW, left + frameW);
    int h = (int) Math.max(screenH, top + frameH);
    return new GifCanvas(w, h, left, top, fill, table);
  }

  /** The canvas in RGB with {@code frame} (the reader's first image, palette-indexed) at its offset. */
  RgbImage render(BufferedImage frame) {
    int[] rgbOf = palette(frame);
    byte[] out = new byte[Math.multiplyExact(Math.multiplyExact(width, height), 3)];
    int fill = rgbOf[fillIndex & 0xFF];
    for (int o = 0; o < out.length; o += 3) {
      put(out, o, fill);
    }
    Raster raster = frame.getRaster();
    int fw = Math.min(frame.getWidth(), width - left);
    int fh = Math.min(frame.getHeight(), height - top);
    int[] row = new int[Math.max(fw, 0)];
    for (int y = 0; y < fh; y++) {
      raster.getSamples(raster.getMinX(), raster.getMinY() + y, fw, 1, 0, row);
      int o = ((top + y) * width + left) * 3;
      for (int x = 0; x < fw; x++, o += 3) {
        put(out, o, rgbOf[row[x] & 0xFF]);
      }
    }
    return new RgbImage(width, height, out);
  }

  /** 0xRRGGBB for each of the 256 possible indices, as Pillow's palette (or grey mode) maps them. */
  private int[] palette(BufferedImage frame) {
    int[] rgb = new int[256];
    if (!hasColourTable || !(frame.getColorModel() instanceof IndexColorModel icm)) {
      for (int i = 0; i < 256; i++) {
        rgb[i] = i << 16 | i << 8 | i;
      }
      return rgb;
    }
    int n = Math.min(icm.getMapSize(), 256);
    for (int i = 0; i < n; i++) {
      rgb[i] = icm.getRed(i) << 16 | icm.getGreen(i) << 8 | icm.getBlue(i); // entries from n on stay black
    }
    return rgb;
  }

  private static void put(byte[] out, int o, int rgb) {
    out[o] = (byte) (rgb >> 16);
    out[o + 1] = (byte) (rgb >> 8);
    out[o + 2] = (byte) rgb;
  }

  private static @Nullable Node tree(@Nullable IIOMetadata metadata, String format) {
    return metadata == null ? null : metadata.getAsTree(format);
  }

  private static @Nullable Node child(@Nullable Node parent, String name) {
    for (Node n = parent == null ? null : parent.getFirstChild(); n != null; n = n.getNextSibling()) {
      if (name.equals(n.getNodeName())) {
        return n;
      }
    }
    return null;
  }

  private static @Nullable String attr(Node node, String name) {
    Node a = node.getAttributes() == null ? null : node.getAttributes().getNamedItem(name);
    return a == null ? null : a.getNodeValue();
  }

  private static int intAttr(@Nullable Node node, String name, int fallback) {
    String v = node == null ? null : attr(node, name);
    return v == null ? fallback : Integer.parseInt(v.trim());
  }
}
