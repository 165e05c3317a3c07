package io.guardtrace;

import java.util.Objects;

/**
 * How far the download of one model file has come, as reported to a {@link DownloadListener}.
 *
 * @param modelId the Hugging Face id of the model being downloaded, for example {@code DloadingX/GuardTrace-VL-3B}
 * @param file the file's name in the model repository, for example {@code model-00001-of-00002.safetensors}
 * @param fileIndex the file's position among the files of this download, from 1
 * @param fileCount how many files this download fetches or finds already cached
 * @param bytesDone bytes of the file on disk so far (a resumed download starts above 0)
 * @param totalBytes the file's size, or -1 when the hub did not announce it
 * @param fileDone whether the file is complete, verified and in the cache
 */
public record DownloadProgress(String modelId, String file, int fileIndex, int fileCount, long bytesDone,
    long totalBytes, boolean fileDone) {

  /**
   * Checks the values.
   *
   * @param modelId the model's Hugging Face id
   * @param file the file's name in the repository
   * @param fileIndex the file's position, from 1
   * @param fileCount how many files the download has
   * @param bytesDone bytes of the file on disk so far
   * @param totalBytes the file's size, or -1 when unknown
   * @param fileDone whether the file is complete and verified
   * @throws IllegalArgumentException when an index, count or byte count is out of range
   */
  public DownloadProgress {
    Objects.requireNonNull(modelId, "modelId");
    Objects.requireNonNull(file, "file");
    if (fileCount < 1 || fileIndex < 1 || fileIndex > fileCount) {
      throw new IllegalArgumentException("fileIndex " + fileIndex + " is not within 1.." + fileCount);
    }
    if (bytesDone < 0 || totalBytes < -1) {
      throw new IllegalArgumentException("bytesDone " + bytesDone + " / totalBytes " + totalBytes
          + " out of range");
    }
  }

  /**
   * Whether the hub announced the file's size.
   *
   * @return true when {@link #totalBytes()} is the file's size, false when it is -1
   */
  public boolean sizeKnown() {
    return totalBytes >= 0;
  }
}
