package io.guardtrace.spi;

import io.guardtrace.DownloadListener;
import java.nio.file.Path;
import org.jspecify.annotations.Nullable;

/**
 * Resolves a Hugging Face model id to a local directory in Hugging Face layout: first the local Hugging Face
 * cache ({@code $HF_HUB_CACHE}, {@code $HF_HOME/hub} or {@code ~/.cache/huggingface/hub}), then, unless
 * offline, a download into that cache. Found with {@link java.util.ServiceLoader}.
 *
 * <p>A locator never writes to {@code System.out} or {@code System.err}: it logs (guardtrace's own locator
 * through SLF4J) and reports download progress to the {@link DownloadListener} it is given.
 */
public interface ModelLocator {

  /**
   * Returns the snapshot directory of {@code modelId} ({@code ORG/NAME}) at {@code revision}.
   *
   * @param modelId the Hugging Face id, for example {@code DloadingX/GuardTrace-VL-3B}
   * @param revision a branch, tag or commit; null for {@code main}
   * @return the directory holding the model's files
   * @throws io.guardtrace.ModelLoadException when the model is not cached and cannot be downloaded; the message
   *     says why and how to pass a local directory instead
   */
  Path locate(String modelId, @Nullable String revision);

  /**
   * Returns the snapshot directory of {@code modelId} at {@code revision}, reporting download progress to
   * {@code listener}. The default ignores the listener and calls {@link #locate(String, String)}, so locators
   * written before listeners existed keep working.
   *
   * @param modelId the Hugging Face id, for example {@code DloadingX/GuardTrace-VL-3B}
   * @param revision a branch, tag or commit; null for {@code main}
   * @param listener receives the progress of any download
   * @return the directory holding the model's files
   * @throws io.guardtrace.ModelLoadException when the model is not cached and cannot be downloaded
   */
  default Path locate(String modelId, @Nullable String revision, DownloadListener listener) {
    return locate(modelId, revision);
  }
}
