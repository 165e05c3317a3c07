package io.guardtrace.models;

import java.nio.file.Files;
import java.nio.file.Path;

/** Locates the reference golden data copied unchanged from shared/fixtures into the repository's testdata/. */
public final class Fixtures {
  private Fixtures() {}

  /** {@code testdata/qwen2_5_vl}. */
  public static Path root() {
    String prop = System.getProperty("guardtrace.testdata");
    Path base = prop != null ? Path.of(prop) : Path.of("..", "testdata");
    Path root = base.resolve("qwen2_5_vl");
    if (!Files.isDirectory(root)) {
      throw new IllegalStateException("golden data not found at " + root.toAbsolutePath());
    }
    return root;
  }

  /**
   * The device parity tests run on: {@code cpu} unless {@code -Dguardtrace.test.device=gpu} (the GPU check
   * script sets it).
   */
  public static ai.djl.Device device() {
    String d = System.getProperty("guardtrace.test.device", "cpu");
    return d.startsWith("gpu") ? ai.djl.Device.gpu(d.contains(":") ? Integer.parseInt(d.substring(4)) : 0)
        : ai.djl.Device.cpu();
  }

  /** The device name for EngineOptions. */
  public static String deviceName() {
    return System.getProperty("guardtrace.test.device", "cpu");
  }

  /** The tiny random-weight checkpoint. */
  public static Path tinyModel() {
    return root().resolve("tiny-qwen2_5_vl");
  }

  /** A model-goldens file, e.g. {@code guardtrace_text_f32.safetensors}. */
  public static Path golden(String name) {
    return root().resolve("model-goldens").resolve(name);
  }

  /** The system text of a golden case's {@code messages} (its JSON file). */
  public static String system(com.fasterxml.jackson.databind.JsonNode meta) {
    return meta.get("messages").get(0).get("content").get(0).get("text").asText();
  }

  /** The user turn of a golden case's {@code messages}: images (from images/) and text parts, in order. */
  public static java.util.List<io.guardtrace.spi.PromptPart> userParts(com.fasterxml.jackson.databind.JsonNode meta) {
    java.util.List<io.guardtrace.spi.PromptPart> parts = new java.util.ArrayList<>();
    for (com.fasterxml.jackson.databind.JsonNode c : meta.get("messages").get(1).get("content")) {
      parts.add(c.get("type").asText().equals("image")
          ? io.guardtrace.spi.PromptPart.image(io.guardtrace.TraceImage.ofPath(root().resolve(c.get("image").asText())))
          : io.guardtrace.spi.PromptPart.text(c.get("text").asText()));
    }
    return parts;
  }

  /** Relative error ||a - b|| / ||b||. */
  public static double relativeError(float[] actual, float[] expected) {
    if (actual.length != expected.length) {
      throw new AssertionError("length " + actual.length + " != " + expected.length);
    }
    double num = 0;
    double den = 0;
    for (int i = 0; i < actual.length; i++) {
      double d = (double) actual[i] - expected[i];
      num += d * d;
      den += (double) expected[i] * expected[i];
    }
    return Math.sqrt(num) / Math.sqrt(den);
  }

  /** Slice {@code [from, from + len)} of {@code a}. */
  public static float[] slice(float[] a, int from, int len) {
    float[] out = new float[len];
    System.arraycopy(a, from, out, 0, len);
    return out;
  }
}
