package io.guardtrace.models.image;

import io.guardtrace.TraceImage;
import io.guardtrace.image.ImageDecoder;
import io.guardtrace.image.RgbImage;
import io.guardtrace.image.SmartResize;

/**
 * The slow (PIL-based) {@code Qwen2VLImageProcessor._preprocess} of transformers, as GuardTrace feeds it one
 * image: convert to RGB, {@link SmartResize}, resize with Pillow's bicubic filter ({@link PilBicubic}),
 * rescale ({@code float64(u8) * rescale_factor}, then float32), normalise in float32
 * ({@code (x - mean_c) / std_c}), repeat the frame to the temporal patch size and cut it into patches whose
 * rows keep each 2x2 merge group together: row {@code ((hb * gw/2 + wb) * 2 + hi) * 2 + wi}, each row ordered
 * (channel, frame, y, x). Pure Java and thread-safe.
 */
public final class ImagePreprocessor {
  private final ImageProcessorConfig config;
  private final ImageDecoder decoder;

  /**
   * @param config the model's preprocessor config with any overrides applied
   * @param maxDecodedPixels images declaring more pixels are refused before decoding
   */
  public ImagePreprocessor(ImageProcessorConfig config, long maxDecodedPixels) {
    this.config = config;
    this.decoder = new ImageDecoder(maxDecodedPixels);
  }

  /**
   * The configuration in force.
   *
   * @return the configuration in force
   */
  public ImageProcessorConfig config() {
    return config;
  }

  /**
   * The size, resized size, grid and token count of {@code image}, from its header only.
   *
   * @param image the image
   * @return its geometry
   */
  public ImageGeometry geometry(TraceImage image) {
    int[] wh = decoder.size(image);
    return geometry(wh[0], wh[1], image.description());
  }

  ImageGeometry geometry(int width, int height, String name) {
    int[] hw = SmartResize.resize(height, width, config.factor(), config.minPixels(), config.maxPixels(), name);
    int gh = hw[0] / config.patchSize();
    int gw = hw[1] / config.patchSize();
    int m = config.mergeSize();
    return new ImageGeometry(width, height, hw[1], hw[0], 1, gh, gw, gh * gw / (m * m));
  }

  /**
   * Decodes and preprocesses {@code image}.
   *
   * @param image the image
   * @return its {@code pixel_values} and patch grid
   */
  public PreprocessedImage preprocess(TraceImage image) {
    return preprocess(decoder.decode(image), image.description());
  }

  /**
   * Preprocesses an already decoded image.
   *
   * @param rgb the decoded image
   * @param name the image's description, for messages
   * @return its {@code pixel_values} and patch grid
   */
  public PreprocessedImage preprocess(RgbImage rgb, String name) {
    ImageGeometry g = geometry(rgb.width(), rgb.height(), name);
    byte[] resized = PilBicubic.resize(rgb.rgb(), rgb.width(), rgb.height(), g.resizedWidth(), g.resizedHeight());
    return patchify(resized, g.resizedWidth(), g.resizedHeight());
  }

  /**
   * Resizes only (for tests and inspection): {@code height x width x 3} bytes.
   *
   * @param rgb the decoded image
   * @param name the image's description, for messages
   * @return the resized pixels
   */
  public byte[] resize(RgbImage rgb, String name) {
    ImageGeometry g = geometry(rgb.width(), rgb.height(), name);
    return PilBicubic.resize(rgb.rgb(), rgb.width(), rgb.height(), g.resizedWidth(), g.resizedHeight());
  }

  private PreprocessedImage patchify(byte[] rgb, int width, int height) {
    int p = config.patchSize();
    int t = config.temporalPatchSize();
    int m = config.mergeSize();
    int gh = height / p;
    int gw = width / p;
    int rowLength = config.patchRowLength();
    int rows = gh * gw;
    // rescale in double then float32, normalise in float32: a lookup table per channel and byte value
    float[][] lut = new float[3][256];
    for (int c = 0; c < 3; c++) {
      float mean = config.mean()[c];
      float std = config.std()[c];
      for (int v = 0; v < 256; v++) {
        float x = (float) (v * config.rescaleFactor());
        lut[c][v] = (x - mean) / std;
      }
    }
    float[] out = new float[rows * rowLength];
    int row = 0;
    int blocksW = gw / m;
    for (int hb = 0; hb < gh / m; hb++) {
      for (int wb = 0; wb < blocksW; wb++) {
        for (int hi = 0; hi < m; hi++) {
          for (int wi = 0; wi < m; wi++) {
            int py0 = (hb * m + hi) * p;
            int px0 = (wb * m + wi) * p;
            int base = row * rowLength;
            for (int c = 0; c < 3; c++) {
              float[] l = lut[c];
              for (int frame = 0; frame < t; frame++) {
                int o = base + (c * t + frame) * p * p;
                for (int y = 0; y < p; y++) {
                  int src = ((py0 + y) * width + px0) * 3 + c;
                  for (int x = 0; x < p; x++) {
                    out[o + y * p + x] = l[rgb[src + x * 3] & 0xff];
                  }
                }
              }
            }
            row++;
          }
        }
      }
    }
    return new PreprocessedImage(out, rows, rowLength, 1, gh, gw, m);
  }
}
