package io.guardtrace.image;

import io.guardtrace.InvalidImageException;
import io.guardtrace.TraceImage;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.IndexColorModel;
import java.awt.image.Raster;
import java.io.IOException;
import java.util.Arrays;
import java.util.Iterator;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.spi.ImageReaderSpi;
import javax.imageio.stream.ImageInputStream;
import org.jspecify.annotations.Nullable;

/**
 * Decodes PNG, JPEG, GIF (first frame), BMP and WebP (TwelveMonkeys ImageIO plugin) into 8-bit RGB the way
 * the reference's {@code PIL.Image.convert("RGB")} does:
 *
 * <ul>
 *   <li>alpha is dropped without compositing (the colour samples are kept as stored);
 *   <li>palette images are expanded through their palette; grayscale is copied to R, G and B;
 *   <li>16-bit colour samples keep their high byte (Pillow's 16-bit RGB unpackers); 16-bit grayscale is
 *       clipped to 0..255, as Pillow converts its {@code I;16} mode to {@code L};
 *   <li>channels narrower than 8 bits widen as {@code v * 255 / (2^n - 1)}, truncated, each with its own
 *       width: BMP 5-5-5 and 5-6-5 follow Pillow's {@code BGR;15} and {@code BGR;16} unpackers
 *       ({@code ImagingUnpackBGR15}, {@code ImagingUnpackBGR16} in Unpack.c). Java's own colour model
 *       ({@code getRGB}) bit-replicates instead, so only raw raster samples are read;
 *   <li>a GIF is its first frame placed on the logical screen as Pillow lays it out ({@link GifCanvas});
 *   <li>no EXIF orientation is applied: the reference applies none either, so a rotated phone photo is seen
 *       as stored.
 * </ul>
 *
 * The pixel count is read from the header and checked against a limit before any pixel is decoded, so a tiny
 * file declaring a huge image (a decompression bomb) is refused without a large allocation. Every failure is
 * an {@link InvalidImageException} naming the image. JPEG decoding may differ from libjpeg by one level in a
 * few pixels (different IDCT); PNG, GIF, BMP and lossless WebP decode exactly. Lossy WebP is NOT exact: the
 * reference decodes it with libwebp, we with TwelveMonkeys' pure-Java VP8 decoder, and on the test image the
 * two differ by up to 64 levels in a sample (about 3 on average; see ImageDecoderTest), so a lossy WebP reaches
 * the model with slightly different pixels than in the reference.
 */
public final class ImageDecoder {
  private final long maxPixels;

  /**
   * A decoder refusing images of more than {@code maxPixels} pixels.
   *
   * @param maxPixels the most pixels (width x height, from the header) an image may declare
   */
  public ImageDecoder(long maxPixels) {
    this.maxPixels = maxPixels;
  }

  /**
   * The image's size from its header, without decoding its pixels (for a GIF, its {@link GifCanvas}).
   *
   * @param image the image
   * @return {@code {width, height}}
   */
  public int[] size(TraceImage image) {
    return withReader(image, (reader, size, gif) -> size);
  }

  /**
   * Decodes the image (its first frame) to RGB.
   *
   * @param image the image
   * @return its pixels
   */
  public RgbImage decode(TraceImage image) {
    return withReader(image, (reader, size, gif) -> {
      BufferedImage img = reader.read(0);
      return gif == null ? toRgb(img, image) : gif.render(img);
    });
  }

  private interface ReaderFunction<T> {
    /**
     * @param size the image's {@code {width, height}}, checked against the pixel limit
     * @param gif the first frame's canvas when the image is a GIF
     */
    T apply(ImageReader reader, int[] size, @Nullable GifCanvas gif) throws IOException;
  }

  private <T> T withReader(TraceImage image, ReaderFunction<T> body) {
    String name = image.description();
    if (image.size() == 0) {
      throw new InvalidImageException(name, "is empty (0 bytes)");
    }
    try (ImageInputStream in = ImageIO.createImageInputStream(image.openStream())) {
      Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
      if (!readers.hasNext()) {
        throw new InvalidImageException(name, "is not an image in a supported format (PNG, JPEG, GIF, BMP, WebP)");
      }
      ImageReader reader = readers.next();
      try {
        if (isWebp(reader)) {
          requireWholeRiff(in, image.size(), name);
        }
        // A GIF's logical screen, frame offset and transparent index are metadata: keep it for GIFs only.
        boolean isGif = GifCanvas.isGif(reader);
        reader.setInput(in, true, !isGif);
        GifCanvas gif = isGif ? GifCanvas.read(reader) : null;
        long w = gif != null ? gif.width() : reader.getWidth(0);
        long h = gif != null ? gif.height() : reader.getHeight(0);
        if (w <= 0 || h <= 0) {
          throw new InvalidImageException(name, "declares no pixels (" + w + "x" + h + ")");
        }
        if (w * h > maxPixels) {
          throw new InvalidImageException(name, "declares " + w + "x" + h + " = " + w * h + " pixels, over the "
              + maxPixels + "-pixel limit (raise maxImagePixels if this image is genuine)");
        }
        return body.apply(reader, new int[] {(int) w, (int) h}, gif);
      } finally {
        reader.dispose();
      }
    } catch (InvalidImageException e) {
      throw e;
    } catch (IOException | RuntimeException e) {
      throw new InvalidImageException(name, "is corrupt or truncated and cannot be decoded ("
          + e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage()) + ")", e);
    } catch (OutOfMemoryError e) {
      throw new InvalidImageException(name, "is too large to decode in the available memory", e);
    }
  }

  private static boolean isWebp(ImageReader reader) {
    ImageReaderSpi spi = reader.getOriginatingProvider();
    return spi != null && Arrays.asList(spi.getFormatNames()).contains("webp");
  }

  /**
   * Refuses a WebP file shorter than its RIFF header declares. Pillow hands the whole file to libwebp's
   * demuxer (WebPAnimDecoderNew via WebPDemux), which does not accept partial data and fails, so Pillow
   * raises; TwelveMonkeys' reader instead decodes what is there and returns an image with invented pixels.
   */
  private static void requireWholeRiff(ImageInputStream in, long fileSize, String name) throws IOException {
    in.mark();
    byte[] head = new byte[8];
    in.readFully(head);
    in.reset();
    // "RIFF", then the little-endian size of everything after these 8 bytes.
    long declared = 8 + ((head[4] & 0xFFL) | (head[5] & 0xFFL) << 8 | (head[6] & 0xFFL) << 16
        | (head[7] & 0xFFL) << 24);
    if (fileSize < declared) {
      throw new InvalidImageException(name, "is truncated: its WebP header declares " + declared
          + " bytes but the file has " + fileSize);
    }
  }

  static RgbImage toRgb(BufferedImage img, TraceImage source) {
    int w = img.getWidth();
    int h = img.getHeight();
    byte[] out = new byte[w * h * 3];
    ColorModel cm = img.getColorModel();
    Raster r = img.getRaster();
    if (cm instanceof IndexColorModel icm) {
      int[] row = new int[w];
      for (int y = 0; y < h; y++) {
        r.getSamples(0, y, w, 1, 0, row);
        for (int x = 0; x < w; x++) {
          int o = (y * w + x) * 3;
          out[o] = (byte) icm.getRed(row[x]);
          out[o + 1] = (byte) icm.getGreen(row[x]);
          out[o + 2] = (byte) icm.getBlue(row[x]);
        }
      }
      return new RgbImage(w, h, out);
    }
    int colors = cm.getNumColorComponents();
    if (colors != 1 && colors != 3) {
      throw new InvalidImageException(source.description(), "has " + colors + " colour channels ("
          + cm.getColorSpace().getType() + "); only RGB, grayscale and palette images are supported");
    }
    int[] row = new int[w];
    for (int band = 0; band < 3; band++) {
      int srcBand = colors == 1 ? 0 : band;
      // Per band: a 5-6-5 BMP has a 6-bit green between 5-bit red and blue.
      int bits = cm.getComponentSize(srcBand);
      for (int y = 0; y < h; y++) {
        r.getSamples(0, y, w, 1, srcBand, row);
        for (int x = 0; x < w; x++) {
          out[(y * w + x) * 3 + band] = (byte) to8(row[x], bits, colors == 1);
        }
      }
    }
    return new RgbImage(w, h, out);
  }

  private static int to8(int v, int bits, boolean gray) {
    if (bits == 8) {
      return v;
    }
    if (bits == 16) {
      return gray ? Math.min(v, 255) : v >>> 8;
    }
    if (bits < 8) {
      return v * 255 / ((1 << bits) - 1);
    }
    return v >>> (bits - 8);
  }
}
