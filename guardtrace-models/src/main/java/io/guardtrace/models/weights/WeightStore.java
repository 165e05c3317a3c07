package io.guardtrace.models.weights;

import com.fasterxml.jackson.databind.JsonNode;
import io.guardtrace.ModelLoadException;
import io.guardtrace.models.config.Json;
import io.guardtrace.models.config.ModelDirectory;
import io.guardtrace.models.config.Untrusted;
import io.guardtrace.models.safetensors.SafetensorsFile;
import io.guardtrace.models.safetensors.TensorInfo;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * All weights of a checkpoint directory: one {@code model.safetensors}, or the shards listed in
 * {@code model.safetensors.index.json}. Tensors stay memory-mapped.
 *
 * <p>Resolves both key layouts of published Qwen2.5-VL checkpoints: the original one ({@code model.layers.N.*},
 * {@code model.embed_tokens.weight}, {@code visual.*}) and the one written by transformers 4.52+
 * ({@code model.language_model.layers.N.*}, {@code model.visual.*}, {@code lm_head.weight}). Callers name a
 * tensor relative to its tower ({@link #text(String)}, {@link #vision(String)}).
 */
public final class WeightStore implements AutoCloseable {
  private static final String[] TEXT_PREFIXES = {"model.", "model.language_model.", "language_model.model."};
  private static final String[] VISION_PREFIXES = {"visual.", "model.visual."};
  private static final String INDEX = "model.safetensors.index.json";
  private static final String SINGLE = "model.safetensors";

  private final Path dir;
  private final Map<String, SafetensorsFile> byTensor;
  private final List<SafetensorsFile> files;

  private WeightStore(Path dir, Map<String, SafetensorsFile> byTensor, List<SafetensorsFile> files) {
    this.dir = dir;
    this.byTensor = byTensor;
    this.files = files;
  }

  /**
   * Opens the weights in {@code dir}.
   *
   * @param dir the model directory
   * @return the open store
   * @throws ModelLoadException when no weights are found, the index names a missing shard or a file outside
   *     the directory, or a shard is corrupt or truncated
   */
  public static WeightStore open(Path dir) {
    return open(ModelDirectory.of(dir));
  }

  /**
   * Opens the weights in {@code files}: {@code model.safetensors}, or the shards its
   * {@code model.safetensors.index.json} names (each a plain file name, looked up through {@code files}).
   *
   * @param files the model directory's files
   * @return the open store
   * @throws ModelLoadException when no weights are found, the index names a missing shard or a file outside
   *     the directory, or a shard is corrupt or truncated
   */
  public static WeightStore open(ModelDirectory files) {
    Path dir = files.path();
    Map<String, SafetensorsFile> byTensor = new LinkedHashMap<>();
    List<SafetensorsFile> opened = new ArrayList<>();
    try {
      if (files.has(INDEX)) {
        Path index = files.file(INDEX);
        JsonNode map = Json.read(index).get("weight_map");
        if (map == null || !map.isObject()) {
          throw new ModelLoadException(index + " has no weight_map");
        }
        Map<String, SafetensorsFile> shards = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = map.fields(); it.hasNext(); ) {
          Map.Entry<String, JsonNode> e = it.next();
          String tensor = Untrusted.quote(e.getKey());
          if (!e.getValue().isTextual()) {
            throw new ModelLoadException(index + ": the weight_map entry of tensor " + tensor
                + " is not a file name");
          }
          String shardName = e.getValue().asText();
          SafetensorsFile shard = shards.get(shardName);
          if (shard == null) {
            shard = SafetensorsFile.open(files.file(shardName, "weights shard " + Untrusted.quote(shardName)
                + " (the file of tensor " + tensor + " in " + INDEX + "'s weight_map)"));
            shards.put(shardName, shard);
            opened.add(shard);
          }
          if (!shard.contains(e.getKey())) {
            throw new ModelLoadException("tensor " + tensor + " is listed in " + index
                + " but missing from " + Untrusted.quote(shardName));
          }
          byTensor.put(e.getKey(), shard);
        }
      } else if (files.has(SINGLE)) {
        SafetensorsFile f = SafetensorsFile.open(files.file(SINGLE));
        opened.add(f);
        for (String name : f.tensors().keySet()) {
          byTensor.put(name, f);
        }
      } else {
        throw new ModelLoadException("no weights in " + dir
            + ": expected model.safetensors or model.safetensors.index.json with its shards");
      }
    } catch (RuntimeException e) {
      opened.forEach(SafetensorsFile::close);
      throw e;
    }
    return new WeightStore(dir, byTensor, opened);
  }

  /**
   * The checkpoint directory.
   *
   * @return the checkpoint directory
   */
  public Path dir() {
    return dir;
  }

  /**
   * Every tensor name in the checkpoint.
   *
   * @return every tensor name in the checkpoint
   */
  public Set<String> names() {
    return byTensor.keySet();
  }

  /**
   * Whether the checkpoint holds the full name {@code name}.
   *
   * @param name a full tensor name
   * @return whether the checkpoint holds it
   */
  public boolean contains(String name) {
    return byTensor.containsKey(name);
  }

  /**
   * The full name of a language-model tensor given relative to the decoder, e.g. {@code layers.0.mlp.up_proj.weight}
   * or {@code embed_tokens.weight}.
   *
   * @param relative the name below the decoder
   * @return the full name
   */
  public String text(String relative) {
    return resolve(relative, TEXT_PREFIXES, "language model");
  }

  /**
   * The full name of the output head if the checkpoint stores one, else null (tied to the embedding).
   *
   * @return the output head's name, or null
   */
  public @Nullable String lmHead() {
    for (String n : new String[] {"lm_head.weight", "model.lm_head.weight"}) {
      if (contains(n)) {
        return n;
      }
    }
    return null;
  }

  /**
   * The full name of a vision tensor given relative to the vision tower, e.g. {@code blocks.0.norm1.weight}.
   *
   * @param relative the name below the vision tower
   * @return the full name
   */
  public String vision(String relative) {
    return resolve(relative, VISION_PREFIXES, "vision tower");
  }

  private String resolve(String relative, String[] prefixes, String part) {
    for (String p : prefixes) {
      if (byTensor.containsKey(p + relative)) {
        return p + relative;
      }
    }
    throw new ModelLoadException("tensor '" + prefixes[0] + relative + "' (" + part + ") is missing from the "
        + "weights in " + dir + " (also looked for " + String.join(", ", List.of(prefixes).subList(1, prefixes.length))
        + " prefixes)");
  }

  /**
   * The header entry of full name {@code name}.
   *
   * @param name a full tensor name
   * @return its dtype, shape and byte range
   */
  public TensorInfo info(String name) {
    return file(name).info(name);
  }

  /**
   * Checks that {@code name} has {@code expected} shape.
   *
   * @param name a full tensor name
   * @param expected its expected shape
   * @return its dtype, shape and byte range
   * @throws ModelLoadException naming the tensor and both shapes
   */
  public TensorInfo requireShape(String name, long... expected) {
    TensorInfo info = info(name);
    if (!java.util.Arrays.equals(info.shape(), expected)) {
      throw new ModelLoadException("tensor '" + name + "' has shape " + java.util.Arrays.toString(info.shape())
          + " but config.json implies " + java.util.Arrays.toString(expected) + " (is config.json from this checkpoint?)");
    }
    return info;
  }

  /**
   * The tensor's bytes, memory-mapped, read-only.
   *
   * @param name a full tensor name
   * @return the mapped bytes
   */
  public ByteBuffer buffer(String name) {
    return file(name).buffer(name);
  }

  /**
   * The tensor widened to float32 on the heap.
   *
   * @param name a full tensor name
   * @return its values
   */
  public float[] floats(String name) {
    return file(name).floats(name);
  }

  private SafetensorsFile file(String name) {
    SafetensorsFile f = byTensor.get(name);
    if (f == null) {
      throw new ModelLoadException("tensor '" + name + "' is missing from the weights in " + dir);
    }
    return f;
  }

  @Override
  public void close() {
    files.forEach(SafetensorsFile::close);
  }
}
