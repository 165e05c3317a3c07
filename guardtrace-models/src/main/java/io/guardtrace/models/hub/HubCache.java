package io.guardtrace.models.hub;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The Hugging Face hub cache layout shared with Python tools: {@code <cache>/models--ORG--NAME/} holding
 * {@code blobs/<etag>}, {@code snapshots/<commit>/<file>} (links into blobs) and {@code refs/<revision>} (the
 * commit a branch or tag pointed to). The cache root is {@code $HF_HUB_CACHE}, else {@code $HF_HOME/hub},
 * else {@code ~/.cache/huggingface/hub}.
 */
final class HubCache {
  private final Path root;

  HubCache(Path root) {
    this.root = root;
  }

  static HubCache fromEnvironment(Map<String, String> env, Path home) {
    String cache = env.get("HF_HUB_CACHE");
    if (cache != null && !cache.isBlank()) {
      return new HubCache(Path.of(cache));
    }
    String hfHome = env.get("HF_HOME");
    if (hfHome != null && !hfHome.isBlank()) {
      return new HubCache(Path.of(hfHome, "hub"));
    }
    return new HubCache(home.resolve(".cache").resolve("huggingface").resolve("hub"));
  }

  Path root() {
    return root;
  }

  /** {@code models--ORG--NAME}. */
  Path repo(String modelId) {
    return root.resolve("models--" + modelId.replace("/", "--"));
  }

  static boolean isCommit(String revision) {
    return revision.matches("[0-9a-f]{40}");
  }

  /** The commit {@code revision} resolves to in the cache, or null. */
  @Nullable String commit(String modelId, String revision) {
    if (isCommit(revision)) {
      return revision;
    }
    Path ref = repo(modelId).resolve("refs").resolve(revision);
    try {
      return Files.isRegularFile(ref) ? Files.readString(ref).strip() : null;
    } catch (IOException e) {
      return null;
    }
  }

  Path snapshot(String modelId, String commit) {
    return repo(modelId).resolve("snapshots").resolve(commit);
  }

  Path blob(String modelId, String etag) {
    return repo(modelId).resolve("blobs").resolve(etag);
  }

  void writeRef(String modelId, String revision, String commit) throws IOException {
    if (isCommit(revision)) {
      return;
    }
    Path ref = repo(modelId).resolve("refs").resolve(revision);
    Files.createDirectories(ref.getParent());
    Path tmp = ref.resolveSibling(ref.getFileName() + ".tmp");
    Files.writeString(tmp, commit);
    Files.move(tmp, ref, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
        java.nio.file.StandardCopyOption.ATOMIC_MOVE);
  }

  /** Whether {@code dir} holds a loadable checkpoint: config, tokenizer and every weights file. */
  static boolean complete(Path dir) {
    if (!Files.isRegularFile(dir.resolve("config.json")) || !Files.isRegularFile(dir.resolve("tokenizer.json"))) {
      return false;
    }
    if (Files.isRegularFile(dir.resolve("model.safetensors"))) {
      return true;
    }
    Path index = dir.resolve("model.safetensors.index.json");
    if (!Files.isRegularFile(index)) {
      return false;
    }
    try {
      var map = io.guardtrace.models.config.Json.read(index).get("weight_map");
      for (var it = map.elements(); it.hasNext(); ) {
        if (!Files.isRegularFile(dir.resolve(it.next().asText()))) {
          return false;
        }
      }
      return true;
    } catch (RuntimeException e) {
      return false;
    }
  }
}
