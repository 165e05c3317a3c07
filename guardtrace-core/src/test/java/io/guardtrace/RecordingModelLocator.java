package io.guardtrace;

import io.guardtrace.spi.ModelLocator;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.jspecify.annotations.Nullable;

/** A test locator (registered for core's tests): records each request and answers a directory that is absent. */
public final class RecordingModelLocator implements ModelLocator {
  /** One request. */
  record Request(String modelId, @Nullable String revision, DownloadListener listener) {}

  static final List<Request> REQUESTS = new CopyOnWriteArrayList<>();
  static final Path ANSWER = Path.of("recording-locator-answer-that-does-not-exist");

  /** Used by ServiceLoader. */
  public RecordingModelLocator() {}

  @Override
  public Path locate(String modelId, @Nullable String revision) {
    throw new AssertionError("GuardTrace must call the listener-taking locate");
  }

  @Override
  public Path locate(String modelId, @Nullable String revision, DownloadListener listener) {
    REQUESTS.add(new Request(modelId, revision, listener));
    return ANSWER;
  }
}
