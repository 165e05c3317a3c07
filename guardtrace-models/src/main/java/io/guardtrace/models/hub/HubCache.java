package io.guardtrace.models.hub;

import com.fasterxml.jackson.databind.JsonNode;
import io.guardtrace.ModelLoadException;
import io.guardtrace.models.config.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Hugging Face hub cache layout shared with Python tools: {@code <cache>/models--ORG--NAME/} holding
 * {@code blobs/<etag>}, {@code snapshots/<commit>/<file>} (links into blobs) and {@code refs/<revision>} (the
 * commit a branch or tag pointed to). Callers pass validated ids and revisions ({@link HubNames}); what is read
 * back from the cache (a ref's commit, an index's file names) is validated here before it becomes a path.
 */
final class HubCache {
  private static final Logger LOG = LoggerFactory.getLogger(HubCache.class);
  /** model.safetensors.index.json is ~60 KB for the 3B model; a larger one is not read. */
  static final long MAX_INDEX_BYTES = 32L << 20;

  private final Path root;

  HubCache(Path root) {
    this.root = root;
  }

  Path root() {
    return root;
  }

  /** {@code models--ORG--NAME}. */
  Path repo(String modelId) {
    return root.resolve("models--" + modelId.replace("/", "--"));
  }

  /**
   * The commit {@code revision} resolves to in the cache, or null when the cache has no valid ref for it (a ref
   * file that does not hold a commit hash is ignored, with a warning, and rewritten by the next download).
   */
  @Nullable String commit(String modelId, String revision) {
    if (HubNames.isCommit(revision)) {
      return revision;
    }
    Path ref = ref(modelId, revision);
    try {
      if (!Files.isRegularFile(ref) || Files.size(ref) > 1024) {
        return null;
      }
      String commit = Files.readString(ref).strip();
      if (!HubNames.isCommit(commit)) {
        LOG.warn("ignoring cache ref {}: it does not hold a commit hash", ref);
        return null;
      }
      return commit;
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  Path snapshot(String modelId, String commit) {
    return repo(modelId).resolve("snapshots").resolve(HubNames.requireCommit(commit, "a snapshot name"));
  }

  Path blob(String modelId, String blobName) {
    return repo(modelId).resolve("blobs").resolve(blobName);
  }

  private Path ref(String modelId, String revision) {
    return HubNames.resolveInside(repo(modelId).resolve("refs"), HubNames.requireRevision(revision));
  }

  void writeRef(String modelId, String revision, String commit) throws IOException {
    if (HubNames.isCommit(revision)) {
      return;
    }
    Path ref = ref(modelId, revision);
    Files.createDirectories(ref.getParent());
    String checked = HubNames.requireCommit(commit, "the hub's answer");
    replaceAtomically(ref, tmp -> Files.writeString(tmp, checked));
  }

  /** Fills a temporary file. */
  @FunctionalInterface
  interface FileWriter {
    void writeTo(Path tmp) throws IOException;
  }

  /**
   * Replaces {@code target} whole or not at all: {@code writer} fills a temporary file beside it, which is then
   * moved over it atomically. The temporary file is new for every call (threads of one process may replace the
   * same file at once) and gone afterwards, whatever happened.
   */
  static void replaceAtomically(Path target, FileWriter writer) throws IOException {
    Path tmp = Files.createTempFile(target.getParent(), target.getFileName() + ".", ".tmp");
    try {
      writer.writeTo(tmp);
      Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  /**
   * Whether {@code dir} holds a loadable checkpoint: config, tokenizer and every weights file. The weight
   * files an index names must stay inside {@code dir} (no absolute names, no {@code ..}); an index naming any
   * other file makes the checkpoint incomplete, never a path to follow.
   */
  static boolean complete(Path dir) {
    if (!Files.isRegularFile(dir.resolve("config.json")) || !Files.isRegularFile(dir.resolve("tokenizer.json"))) {
      return false;
    }
    if (Files.isRegularFile(dir.resolve("model.safetensors"))) {
      return true;
    }
    Path index = dir.resolve("model.safetensors.index.json");
    JsonNode map;
    try {
      if (!Files.isRegularFile(index) || Files.size(index) > MAX_INDEX_BYTES) {
        return false;
      }
      map = Json.read(index).get("weight_map");
    } catch (IOException | RuntimeException e) {
      return false;
    }
    if (map == null || !map.isObject() || map.isEmpty()) {
      return false;
    }
    for (var it = map.elements(); it.hasNext(); ) {
      JsonNode name = it.next();
      Path file;
      try {
        file = HubNames.resolveInside(dir, name.asText());
      } catch (ModelLoadException e) {
        LOG.warn("{} names a file the model may not use: {}", index, e.getMessage());
        return false;
      }
      if (!name.isTextual() || !Files.isRegularFile(file)) {
        return false;
      }
    }
    return true;
  }
}
