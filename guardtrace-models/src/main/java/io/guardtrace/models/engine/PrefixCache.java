package io.guardtrace.models.engine;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.guardtrace.models.text.Generator;
import io.guardtrace.models.text.KvCache;
import io.guardtrace.models.text.TextDecoder;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Keys and values of the system-prompt prefix, computed once per distinct system prompt and copied into each
 * request's cache, so a request prefills only its own user turn. A guard uses one system prompt for every
 * request; the first {@value #MAX_ENTRIES} distinct prompts are cached, later ones run without a prefix.
 * Entries are immutable once built and freed when the engine closes (no request runs then).
 */
final class PrefixCache implements AutoCloseable {
  static final int MAX_ENTRIES = 8;

  private record Entry(long[] ids, KvCache cache) {}

  private final NDManager manager;
  private final TextDecoder decoder;
  private final Generator generator;
  private final Map<String, Entry> entries = new LinkedHashMap<>();

  PrefixCache(Device device, TextDecoder decoder, Generator generator) {
    this.manager = NDManager.newBaseManager(device, "PyTorch");
    this.manager.setName("guardtrace-prefix-cache");
    this.decoder = decoder;
    this.generator = generator;
  }

  /**
   * The cache of {@code prefixIds} if {@code promptIds} starts with them, building it on first use; null
   * when the cache is full of other prompts.
   */
  synchronized @Nullable KvCache get(long[] prefixIds, long[] promptIds) {
    if (prefixIds.length == 0 || prefixIds.length >= promptIds.length
        || !Arrays.equals(prefixIds, 0, prefixIds.length, promptIds, 0, prefixIds.length)) {
      return null;
    }
    String key = Arrays.toString(prefixIds);
    Entry e = entries.get(key);
    if (e == null) {
      if (entries.size() >= MAX_ENTRIES) {
        return null;
      }
      KvCache cache;
      try (NDManager scratch = manager.newSubManager()) {
        NDArray embeds = decoder.embed(scratch, prefixIds);
        cache = generator.prefill(manager, embeds);
      }
      e = new Entry(prefixIds.clone(), cache);
      entries.put(key, e);
    }
    return e.cache();
  }

  @Override
  public synchronized void close() {
    entries.values().forEach(e -> e.cache().close());
    entries.clear();
    manager.close();
  }
}
