package io.guardtrace.models.hub;

import com.fasterxml.jackson.databind.JsonNode;
import io.guardtrace.DownloadListener;
import io.guardtrace.ModelLoadException;
import io.guardtrace.models.config.Json;
import io.guardtrace.spi.ModelLocator;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds a model by Hugging Face id in the local hub cache (so models already downloaded by Python tools are
 * reused) and otherwise downloads it into that cache, as {@code huggingface_hub} does: the revision is resolved
 * to a commit with {@code /api/models/{id}/revision/{rev}}, each needed file is fetched from
 * {@code /{id}/resolve/{commit}/{file}} into {@code blobs/}, verified, and linked from
 * {@code snapshots/{commit}/}. Only the files a Qwen2.5-VL checkpoint needs are fetched.
 *
 * <p>Treats the hub as untrusted: {@code HF_TOKEN} goes only to the endpoint's own origin (redirects to CDNs
 * are followed without it); every file is verified (SHA-256 for LFS files, the git blob hash for small ones)
 * before it is cached, and a failed check caches nothing; revisions, commits and file names are validated
 * before they become paths; answers and bodies are read only up to a bound. Two processes downloading the same
 * file take turns through a lock file beside the blob.
 *
 * <p>Honours {@code HF_ENDPOINT}, {@code HF_TOKEN}, {@code HF_HUB_CACHE}, {@code HF_HOME} and the offline
 * switches {@code HF_HUB_OFFLINE=1} and {@code DJL_OFFLINE=true} (environment variable, or the system property
 * {@code ai.djl.offline} / {@code DJL_OFFLINE}): offline, nothing is fetched and a model missing from the cache
 * is a {@link ModelLoadException} that names it. Logs through SLF4J (INFO: a download starts and ends; DEBUG:
 * cache hits and each file); progress goes to the {@link DownloadListener}.
 */
public final class HuggingFaceHub implements ModelLocator {
  private static final Logger LOG = LoggerFactory.getLogger(HuggingFaceHub.class);
  static final Set<String> NEEDED = Set.of("config.json", "generation_config.json", "preprocessor_config.json",
      "tokenizer.json", "tokenizer_config.json", "chat_template.json", "special_tokens_map.json",
      "model.safetensors", "model.safetensors.index.json");
  /** The revision API's answer lists every file of the repository; a few MB even for huge repositories. */
  static final int MAX_API_ANSWER_BYTES = 16 << 20;
  /** The most files fetched for one model (the 3B model needs 9). */
  static final int MAX_FILES = 1000;

  private final HubSettings settings;
  private final HubCache cache;
  private final HubHttp http;

  /** The locator ServiceLoader uses: the process environment, system properties and home directory. */
  public HuggingFaceHub() {
    this(System.getenv(), Path.of(System.getProperty("user.home")));
  }

  /**
   * A locator over an explicit environment (for embedding and tests). The offline system properties
   * ({@code ai.djl.offline}, {@code DJL_OFFLINE}) are honoured as well: offline always wins.
   *
   * @param env the environment variables to use instead of the process's
   * @param home the home directory under which the default cache lies
   */
  public HuggingFaceHub(Map<String, String> env, Path home) {
    this(HubSettings.from(env, offlineProperties(), home));
  }

  HuggingFaceHub(HubSettings settings) {
    this.settings = settings;
    this.cache = new HubCache(settings.cacheRoot());
    this.http = new HubHttp(settings);
  }

  private static Map<String, String> offlineProperties() {
    Map<String, String> p = new HashMap<>();
    for (String key : List.of("ai.djl.offline", "DJL_OFFLINE")) {
      String v = System.getProperty(key);
      if (v != null) {
        p.put(key, v);
      }
    }
    return p;
  }

  @Override
  public Path locate(String modelId, @Nullable String revision) {
    return locate(modelId, revision, DownloadListener.none());
  }

  @Override
  public Path locate(String modelId, @Nullable String revision, DownloadListener listener) {
    HubNames.requireModelId(modelId);
    String rev = revision == null ? "main" : HubNames.requireRevision(revision);
    String commit = cache.commit(modelId, rev);
    if (commit != null && HubCache.complete(cache.snapshot(modelId, commit))) {
      LOG.debug("{} at {} found in the Hugging Face cache: {}", modelId, rev, cache.snapshot(modelId, commit));
      return cache.snapshot(modelId, commit);
    }
    if (settings.offlineSwitch() != null) {
      throw new ModelLoadException(settings.offlineSwitch() + " forbids downloads, and " + modelId + " (revision "
          + rev + ") is not in the Hugging Face cache at " + cache.repo(modelId) + "; download it on a machine "
          + "with network access (into that cache, or anywhere) and pass its directory "
          + HubErrors.PASS_A_DIRECTORY + ", or point HF_HUB_CACHE at a cache that holds it");
    }
    try {
      return download(modelId, rev, listener);
    } catch (IOException e) {
      throw HubErrors.of(e, modelId, settings.endpoint());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ModelLoadException("interrupted while downloading " + modelId, e);
    }
  }

  private Path download(String modelId, String rev, DownloadListener listener)
      throws IOException, InterruptedException {
    long start = System.nanoTime();
    URI api = URI.create(settings.endpoint() + "/api/models/" + modelId + "/revision/"
        + URLEncoder.encode(rev, StandardCharsets.UTF_8));
    JsonNode info;
    try (HubHttp.Exchange r = http.send("GET", api, Map.of("Accept", "application/json"), false)) {
      if (r.last().status() / 100 != 2) {
        HubErrors.check(r.last().status(), modelId, rev, api);
      }
      try (InputStream body = r.body()) {
        info = Json.MAPPER.readTree(HubHttp.readBounded(body, MAX_API_ANSWER_BYTES, "the hub's answer for " + api));
      } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
        throw new ModelLoadException("the hub's answer for " + api + " is not JSON: " + e.getOriginalMessage(), e);
      }
    }
    String commit = HubNames.requireCommit(info == null ? "" : info.path("sha").asText(""),
        "the hub's answer for " + modelId + " at " + rev);
    if (HubNames.isCommit(rev) && !commit.equals(rev)) {
      throw new ModelLoadException("asked for commit " + rev + " of " + modelId + ", the hub answered " + commit);
    }
    Path snapshot = cache.snapshot(modelId, commit);
    List<String> files = neededFiles(info, modelId, rev, snapshot);
    LOG.info("downloading {} (revision {}, commit {}) from {} into {}: {} files", modelId, rev, commit,
        settings.endpoint(), cache.repo(modelId), files.size());
    BlobFetcher fetcher = new BlobFetcher(http, cache, settings);
    DownloadEvents events = new DownloadEvents(listener, modelId, files.size());
    for (int i = 0; i < files.size(); i++) {
      LOG.debug("fetching {} ({} of {})", files.get(i), i + 1, files.size());
      fetcher.fetch(modelId, commit, files.get(i), snapshot, events, i + 1);
    }
    if (!HubCache.complete(snapshot)) {
      throw new ModelLoadException(modelId + " at " + rev + " is not a complete checkpoint: it needs config.json, "
          + "tokenizer.json and model.safetensors or an index whose weight files (inside the model) all exist");
    }
    cache.writeRef(modelId, rev, commit);
    LOG.info("downloaded {} in {} s: {}", modelId, (System.nanoTime() - start) / 1_000_000_000L, snapshot);
    return snapshot;
  }

  /** The files of the hub's sibling list that a checkpoint needs, each checked as a name inside the snapshot. */
  private static List<String> neededFiles(JsonNode info, String modelId, String rev, Path snapshot) {
    Set<String> files = new LinkedHashSet<>();
    for (JsonNode s : info.path("siblings")) {
      String f = s.path("rfilename").asText("");
      if (NEEDED.contains(f) || f.matches("model-\\d{5}-of-\\d{5}\\.safetensors")) {
        HubNames.resolveInside(snapshot, f);
        files.add(f);
      }
    }
    if (files.size() > MAX_FILES) {
      throw new ModelLoadException("the hub lists " + files.size() + " weight files for " + modelId + "; more than "
          + MAX_FILES + " are not accepted");
    }
    if (!files.contains("config.json")) {
      throw new ModelLoadException(modelId + " at " + rev + " has no config.json: not a transformers model");
    }
    return new ArrayList<>(files);
  }
}
