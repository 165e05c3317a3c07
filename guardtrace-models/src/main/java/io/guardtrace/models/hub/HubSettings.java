package io.guardtrace.models.hub;

import java.net.URI;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Where and how the hub is reached, read once from the environment as {@code huggingface_hub} reads it.
 *
 * @param endpointText the hub, {@code $HF_ENDPOINT} or {@code https://huggingface.co}, without a trailing slash;
 *     checked when first used ({@link #endpoint()}), so that a bad value fails a download, not a cache hit
 * @param token {@code $HF_TOKEN}, sent only to the endpoint's own origin, or null
 * @param offlineSwitch the setting that forbids network access ({@code HF_HUB_OFFLINE=1}, {@code DJL_OFFLINE=true}
 *     or {@code -Dai.djl.offline=true}), or null when downloads are allowed
 * @param cacheRoot {@code $HF_HUB_CACHE}, else {@code $HF_HOME/hub}, else {@code ~/.cache/huggingface/hub}
 */
record HubSettings(String endpointText, @Nullable String token, @Nullable String offlineSwitch, Path cacheRoot) {

  /**
   * Reads the settings.
   *
   * @param env environment variables
   * @param properties system properties ({@code ai.djl.offline}, {@code DJL_OFFLINE}); DJL reads both places
   * @param home the user's home directory
   */
  static HubSettings from(Map<String, String> env, Map<String, String> properties, Path home) {
    String e = env.getOrDefault("HF_ENDPOINT", "").strip();
    if (e.isEmpty()) {
      e = "https://huggingface.co";
    }
    while (e.endsWith("/")) {
      e = e.substring(0, e.length() - 1);
    }
    String token = env.get("HF_TOKEN");
    return new HubSettings(e, token == null || token.isBlank() ? null : token.strip(),
        offlineSwitch(env, properties), cacheRoot(env, home));
  }

  private static @Nullable String offlineSwitch(Map<String, String> env, Map<String, String> properties) {
    if (truthy(env.get("HF_HUB_OFFLINE"))) {
      return "HF_HUB_OFFLINE=" + env.get("HF_HUB_OFFLINE");
    }
    if (truthy(properties.get("ai.djl.offline"))) {
      return "-Dai.djl.offline=" + properties.get("ai.djl.offline");
    }
    if (truthy(properties.get("DJL_OFFLINE"))) {
      return "-DDJL_OFFLINE=" + properties.get("DJL_OFFLINE");
    }
    if (truthy(env.get("DJL_OFFLINE"))) {
      return "DJL_OFFLINE=" + env.get("DJL_OFFLINE");
    }
    return null;
  }

  /** huggingface_hub's truth values (1, true, yes, on), any case; also what DJL's Boolean.parseBoolean accepts. */
  static boolean truthy(@Nullable String value) {
    if (value == null) {
      return false;
    }
    String v = value.strip().toLowerCase(Locale.ROOT);
    return v.equals("1") || v.equals("true") || v.equals("yes") || v.equals("on");
  }

  private static Path cacheRoot(Map<String, String> env, Path home) {
    String cache = env.get("HF_HUB_CACHE");
    if (cache != null && !cache.isBlank()) {
      return Path.of(cache);
    }
    String hfHome = env.get("HF_HOME");
    if (hfHome != null && !hfHome.isBlank()) {
      return Path.of(hfHome, "hub");
    }
    return home.resolve(".cache").resolve("huggingface").resolve("hub");
  }

  /**
   * The endpoint as a URL.
   *
   * @throws io.guardtrace.ModelLoadException when HF_ENDPOINT is not an http(s) URL with a host
   */
  URI endpoint() {
    URI endpoint;
    try {
      endpoint = URI.create(endpointText);
    } catch (IllegalArgumentException ex) {
      throw new io.guardtrace.ModelLoadException("HF_ENDPOINT '" + endpointText + "' is not a URL", ex);
    }
    if (!"https".equalsIgnoreCase(endpoint.getScheme()) && !"http".equalsIgnoreCase(endpoint.getScheme())
        || endpoint.getHost() == null) {
      throw new io.guardtrace.ModelLoadException("HF_ENDPOINT '" + endpointText
          + "' must be an http(s) URL with a host");
    }
    return endpoint;
  }

  /** The endpoint's origin: scheme, host and port, compared as browsers and huggingface_hub compare them. */
  boolean sameOrigin(URI uri) {
    URI endpoint = endpoint();
    return endpoint.getScheme().equalsIgnoreCase(uri.getScheme()) && uri.getHost() != null
        && endpoint.getHost().equalsIgnoreCase(uri.getHost()) && port(endpoint) == port(uri);
  }

  private static int port(URI uri) {
    if (uri.getPort() != -1) {
      return uri.getPort();
    }
    return "https".equalsIgnoreCase(uri.getScheme()) ? 443 : 80;
  }
}
