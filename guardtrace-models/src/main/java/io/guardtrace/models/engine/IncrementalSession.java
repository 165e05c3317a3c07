package io.guardtrace.models.engine;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.guardtrace.GuardTraceClosedException;
import io.guardtrace.models.text.KvCache;
import io.guardtrace.spi.EngineRequest;
import io.guardtrace.spi.EngineResult;
import io.guardtrace.spi.EngineSession;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * The KV cache of a growing prompt. Each request prefills only the tokens after the longest prefix its ids
 * share with the previous request's prompt (the causal model makes a prefix's keys and values depend on that
 * prefix alone, so this is exact), then generates; the generated tokens are dropped from the cache again.
 * Image embeddings are computed once while the images stay the same. Calls are serialised by the caller.
 */
final class IncrementalSession implements EngineSession {
  private final Qwen25VlEngine engine;
  private final NDManager manager;
  private final KvCache cache;
  private long[] cachedIds = new long[0];
  private VisionPath.Encoded images = VisionPath.Encoded.NONE;
  private List<String> imageHashes = List.of();
  private @Nullable NDArray imageEmbeds;
  private boolean encoded;
  private volatile boolean closed;

  IncrementalSession(Qwen25VlEngine engine, Device device, io.guardtrace.models.text.TextDecoder decoder) {
    this.engine = engine;
    this.manager = NDManager.newBaseManager(device, "PyTorch");
    this.manager.setName("guardtrace-session");
    this.cache = decoder.newCache(manager, 1024);
  }

  @Override
  public synchronized EngineResult generate(EngineRequest request) {
    if (closed) {
      throw new GuardTraceClosedException("the session was closed");
    }
    try {
      return engine.guarded(() -> engine.run(request, this));
    } catch (RuntimeException | Error e) {
      forget();
      throw e;
    }
  }

  boolean sameImages(List<String> hashes) {
    return encoded && hashes.equals(imageHashes);
  }

  VisionPath.Encoded images() {
    return images;
  }

  @Nullable NDArray imageEmbeds() {
    return imageEmbeds;
  }

  /** Encodes new images into the session's memory and forgets the cache (its ids no longer mean the same). */
  @Nullable NDArray replaceImages(VisionPath.Encoded newImages, List<String> hashes,
      Function<NDManager, @Nullable NDArray> encode) {
    forget();
    if (imageEmbeds != null) {
      imageEmbeds.close();
    }
    imageEmbeds = encode.apply(manager);
    images = newImages;
    imageHashes = List.copyOf(hashes);
    encoded = true;
    return imageEmbeds;
  }

  KvCache cache() {
    return cache;
  }

  /**
   * Truncates the cache to the prefix shared with {@code ids} and returns where prefill starts. When that
   * shared prefix is shorter than the engine's cached system-prompt prefix ({@code prefix}, whose ids
   * {@code ids} start with), the session starts from a copy of that instead (a first check then prefills only
   * the user turn, like a detect).
   */
  int prepare(long[] ids, int maxNewTokens, @Nullable KvCache prefix) {
    int shared = sharedPrefix(ids);
    if (prefix != null && shared < prefix.length() && prefix.length() < ids.length) {
      cache.truncate(0);
      cache.ensureCapacity(ids.length + maxNewTokens + 2);
      cache.loadPrefix(prefix);
      cachedIds = Arrays.copyOf(ids, prefix.length());
      return prefix.length();
    }
    cache.truncate(shared);
    cache.ensureCapacity(ids.length + maxNewTokens + 2);
    return shared;
  }

  private int sharedPrefix(long[] ids) {
    int lcp = 0;
    int limit = Math.min(Math.min(ids.length - 1, cachedIds.length), cache.length());
    while (lcp < limit && ids[lcp] == cachedIds[lcp]) {
      lcp++;
    }
    return lcp;
  }

  /** Keeps only the prompt's keys and values (the generated tokens are dropped). */
  void keepPrompt(long[] ids) {
    int keep = Math.min(ids.length, cache.length());
    cache.truncate(keep);
    cachedIds = Arrays.copyOf(ids, keep);
  }

  private void forget() {
    cache.truncate(0);
    cachedIds = new long[0];
  }

  @Override
  public int cachedTokens() {
    return cache.length();
  }

  @Override
  public synchronized void close() {
    if (!closed) {
      closed = true;
      cache.close();
      manager.close();
    }
  }
}
