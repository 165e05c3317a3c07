package io.guardtrace.models.hub;

import io.guardtrace.ModelLoadException;
import java.io.IOException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.UnknownHostException;

/** The hub's failures as {@link ModelLoadException}s that say what to do. */
final class HubErrors {
  static final String PASS_A_DIRECTORY =
      "(GuardTrace.builder().model(Path.of(\"/path/to/model\")) or --model DIR)";

  private HubErrors() {}

  /**
   * Turns a non-2xx status into an exception.
   *
   * @throws ModelLoadException always
   */
  static void check(int status, String modelId, String revision, URI url) {
    if (status == 401 || status == 403) {
      throw new ModelLoadException("the hub refused access to " + modelId + " (HTTP " + status + "): if the model "
          + "is gated or private, set HF_TOKEN to a token with access");
    }
    if (status == 404) {
      throw new ModelLoadException("the hub has no model " + modelId + " at revision " + revision + " (HTTP 404 for "
          + url + "): check the id and revision");
    }
    throw new ModelLoadException("the hub answered HTTP " + status + " for " + url);
  }

  /** An I/O failure while talking to the hub. */
  static ModelLoadException of(IOException e, String modelId, URI endpoint) {
    if (e instanceof ConnectException || e instanceof UnknownHostException || e instanceof NoRouteToHostException
        || e instanceof SocketTimeoutException && String.valueOf(e.getMessage()).toLowerCase(java.util.Locale.ROOT).contains("connect")) {
      return new ModelLoadException("cannot reach the Hugging Face hub at " + endpoint + " to download " + modelId
          + " (" + e + "); download the model on a machine with access and pass its directory "
          + PASS_A_DIRECTORY + ", or set HF_ENDPOINT to a mirror", e);
    }
    return new ModelLoadException("downloading " + modelId + " failed: " + e.getMessage() + " (run again to resume)",
        e);
  }
}
