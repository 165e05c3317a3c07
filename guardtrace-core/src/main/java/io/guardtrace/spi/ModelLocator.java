package io.guardtrace.spi;

import java.nio.file.Path;
import org.jspecify.annotations.Nullable;

/**
 * Resolves a Hugging Face model id to a local directory in Hugging Face layout: first the local Hugging Face
 * cache ({@code $HF_HUB_CACHE}, {@code $HF_HOME/hub} or {@code ~/.cache/huggingface/hub}), then, unless
 * offline, a download into that cache. Found with {@link java.util.ServiceLoader}.
 */
public interface ModelLocator {

  /**
   * Returns the snapshot directory of {@code modelId} ({@code ORG/NAME}) at {@code revision}.
   *
   * @param modelId the Hugging Face id, for example {@code DloadingX/GuardTrace-VL-3B}
   * @param revision a branch, tag or commit; null for {@code main}
   * @return the snapshot directory
   * @throws io.guardtrace.ModelLoadException when the model is not cached and cannot be downloaded; the message says
   *     why and how to pass a local directory instead
   */
  Path locate(String modelId, @Nullable String revision);
}
