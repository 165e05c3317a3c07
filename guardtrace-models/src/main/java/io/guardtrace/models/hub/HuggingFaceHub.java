package io.guardtrace.models.hub;

import com.fasterxml.jackson.databind.JsonNode;
import io.guardtrace.ModelLoadException;
import io.guardtrace.models.config.Json;
import io.guardtrace.spi.ModelLocator;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * Finds a model by Hugging Face id in the local hub cache (so models already downloaded by Python tools are
 * reused) and otherwise downloads it into that cache, as {@code huggingface_hub} does: the revision is resolved
 * to a commit with {@code /api/models/{id}/revision/{rev}}, each needed file is fetched from
 * {@code /{id}/resolve/{commit}/{file}} into {@code blobs/} under its etag, resumably (an {@code .incomplete}
 * file continued with an HTTP Range request), verified against the announced size and, for LFS files whose
 * etag is a SHA-256, against that checksum, moved into place atomically, and linked from
 * {@code snapshots/{commit}/}. Honours {@code HF_ENDPOINT}, {@code HF_TOKEN}, {@code HF_HUB_OFFLINE},
 * {@code HF_HUB_CACHE} and {@code HF_HOME}. Only the files a Qwen2.5-VL checkpoint needs are fetched.
 */
public final class HuggingFaceHub implements ModelLocator {
  static final Set<String> NEEDED = Set.of("config.json", "generation_config.json", "preprocessor_config.json",
      "tokenizer.json", "tokenizer_config.json", "chat_template.json", "special_tokens_map.json",
      "model.safetensors", "model.safetensors.index.json");

  private final Map<String, String> env;
  private final HubCache cache;
  private final HttpClient http;
  private final PrintStream progress;

  /** The locator ServiceLoader uses: the process environment and home directory. */
  public HuggingFaceHub() {
    this(System.getenv(), Path.of(System.getProperty("user.home")), System.err);
  }

  /**
   * A locator over an explicit environment (for tests and embedding).
   *
   * @param env the environment variables to read ({@code HF_HOME}, {@code HF_TOKEN}...)
   * @param home the user's home directory
   * @param progress where download progress is written
   */
  public HuggingFaceHub(Map<String, String> env, Path home, PrintStream progress) {
    this.env = Map.copyOf(env);
    this.cache = HubCache.fromEnvironment(env, home);
    this.http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10))
        .followRedirects(HttpClient.Redirect.NORMAL).build();
    this.progress = progress;
  }

  @Override
  public Path locate(String modelId, @Nullable String revision) {
    String rev = revision == null ? "main" : revision;
    String commit = cache.commit(modelId, rev);
    if (commit != null && HubCache.complete(cache.snapshot(modelId, commit))) {
      return cache.snapshot(modelId, commit);
    }
    if (offline()) {
      throw new ModelLoadException("HF_HUB_OFFLINE is set and " + modelId + " (revision " + rev + ") is not in the "
          + "Hugging Face cache at " + cache.repo(modelId) + "; download it elsewhere and pass its directory "
          + "(GuardTrace.builder().model(Path.of(\"/path/to/model\")) or --model DIR)");
    }
    return download(modelId, rev);
  }

  private boolean offline() {
    String v = env.getOrDefault("HF_HUB_OFFLINE", "");
    return v.equals("1") || v.equalsIgnoreCase("true") || v.equalsIgnoreCase("yes");
  }

  private String endpoint() {
    String e = env.getOrDefault("HF_ENDPOINT", "https://huggingface.co");
    return e.endsWith("/") ? e.substring(0, e.length() - 1) : e;
  }

  private HttpRequest.Builder request(String url) {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofMinutes(5))
        .header("User-Agent", "guardtrace/0.1");
    String token = env.get("HF_TOKEN");
    if (token != null && !token.isBlank()) {
      b.header("Authorization", "Bearer " + token);
    }
    return b;
  }

  private Path download(String modelId, String rev) {
    String api = endpoint() + "/api/models/" + modelId + "/revision/" + encode(rev);
    JsonNode info;
    try {
      HttpResponse<String> r = http.send(request(api).GET().build(), HttpResponse.BodyHandlers.ofString());
      check(r.statusCode(), modelId, rev, api);
      info = Json.MAPPER.readTree(r.body());
    } catch (IOException e) {
      throw unreachable(modelId, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ModelLoadException("interrupted while resolving " + modelId, e);
    }
    String commit = info.path("sha").asText("");
    if (!HubCache.isCommit(commit)) {
      throw new ModelLoadException("the hub's answer for " + modelId + " has no commit sha: " + api);
    }
    List<String> files = new ArrayList<>();
    for (JsonNode s : info.path("siblings")) {
      String f = s.path("rfilename").asText();
      if (NEEDED.contains(f) || f.matches("model-\\d{5}-of-\\d{5}\\.safetensors")) {
        files.add(f);
      }
    }
    if (!files.contains("config.json")) {
      throw new ModelLoadException(modelId + " at " + rev + " has no config.json: not a transformers model");
    }
    Path snapshot = cache.snapshot(modelId, commit);
    try {
      for (String f : files) {
        fetch(modelId, commit, f, snapshot.resolve(f));
      }
      cache.writeRef(modelId, rev, commit);
    } catch (IOException e) {
      throw unreachable(modelId, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ModelLoadException("interrupted while downloading " + modelId, e);
    }
    return snapshot;
  }

  private void fetch(String modelId, String commit, String file, Path target) throws IOException, InterruptedException {
    if (Files.isRegularFile(target)) {
      return;
    }
    String url = endpoint() + "/" + modelId + "/resolve/" + commit + "/" + file;
    HttpResponse<Void> head = http.send(request(url).method("HEAD", HttpRequest.BodyPublishers.noBody()).build(),
        HttpResponse.BodyHandlers.discarding());
    check(head.statusCode(), modelId, commit, url);
    String etag = unquote(head.headers().firstValue("X-Linked-Etag")
        .orElse(head.headers().firstValue("ETag").orElse(commit + "-" + file)));
    long size = head.headers().firstValueAsLong("X-Linked-Size")
        .orElse(head.headers().firstValueAsLong("Content-Length").orElse(-1));
    Path blob = cache.blob(modelId, etag.replace('/', '_'));
    Files.createDirectories(blob.getParent());
    if (!Files.isRegularFile(blob)) {
      Path partial = blob.resolveSibling(blob.getFileName() + ".incomplete");
      long have = Files.exists(partial) ? Files.size(partial) : 0;
      // HttpURLConnection for the body: unlike HttpClient it has a read timeout, so a stalled transfer fails
      // (and can be resumed) instead of hanging
      java.net.HttpURLConnection conn = (java.net.HttpURLConnection) URI.create(url).toURL().openConnection();
      conn.setConnectTimeout(10_000);
      conn.setReadTimeout(60_000);
      conn.setRequestProperty("User-Agent", "guardtrace/0.1");
      String token = env.get("HF_TOKEN");
      if (token != null && !token.isBlank()) {
        conn.setRequestProperty("Authorization", "Bearer " + token);
      }
      if (have > 0) {
        conn.setRequestProperty("Range", "bytes=" + have + "-");
      }
      int code = conn.getResponseCode();
      if (code == 200 && have > 0) {
        have = 0; // the server ignored the range: start over
      } else if (code != 206 && code != 200) {
        check(code, modelId, commit, url);
      }
      try (InputStream in = conn.getInputStream();
          OutputStream out = Files.newOutputStream(partial, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
              have > 0 ? StandardOpenOption.APPEND : StandardOpenOption.TRUNCATE_EXISTING)) {
        byte[] buf = new byte[1 << 16];
        long done = have;
        long lastShown = 0;
        int n;
        while ((n = in.read(buf)) >= 0) {
          out.write(buf, 0, n);
          done += n;
          if (System.console() != null && size > 0 && (done - lastShown > (8 << 20) || done == size)) {
            bar(file, done, size);
            lastShown = done;
          }
        }
      }
      if (System.console() != null) {
        progress.println();
      }
      verify(partial, size, etag, file);
      Files.move(partial, blob, StandardCopyOption.ATOMIC_MOVE);
    }
    Files.createDirectories(target.getParent());
    try {
      Files.createSymbolicLink(target, target.getParent().relativize(blob));
    } catch (UnsupportedOperationException | IOException e) {
      Files.copy(blob, target, StandardCopyOption.REPLACE_EXISTING);
    }
  }

  private void bar(String file, long done, long size) {
    int width = 30;
    int filled = (int) (done * width / size);
    progress.printf("\r%-32s [%s%s] %5.1f%%", file, "#".repeat(filled), ".".repeat(width - filled),
        100.0 * done / size);
    progress.flush();
  }

  private static void verify(Path file, long size, String etag, String name) throws IOException {
    long actual = Files.size(file);
    if (size >= 0 && actual != size) {
      throw new IOException(name + ": downloaded " + actual + " bytes but the hub announced " + size
          + " (the transfer broke off; run again to resume)");
    }
    if (etag.matches("[0-9a-f]{64}")) {
      String sha = sha256(file);
      if (!sha.equals(etag)) {
        Files.delete(file);
        throw new ModelLoadException(name + ": SHA-256 " + sha + " does not match the hub's " + etag
            + " (corrupt download, deleted; run again)");
      }
    }
  }

  private static String sha256(Path file) throws IOException {
    try (InputStream in = Files.newInputStream(file)) {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      byte[] buf = new byte[1 << 16];
      int n;
      while ((n = in.read(buf)) >= 0) {
        md.update(buf, 0, n);
      }
      return HexFormat.of().formatHex(md.digest());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static String unquote(String s) {
    String t = s.startsWith("W/") ? s.substring(2) : s;
    return t.length() >= 2 && t.startsWith("\"") && t.endsWith("\"") ? t.substring(1, t.length() - 1) : t;
  }

  private static String encode(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }

  private void check(int status, String modelId, String rev, String url) {
    if (status == 401 || status == 403) {
      throw new ModelLoadException("the hub refused access to " + modelId + " (HTTP " + status + "): if the model "
          + "is gated or private, set HF_TOKEN to a token with access");
    }
    if (status == 404) {
      throw new ModelLoadException("the hub has no model " + modelId + " at revision " + rev + " (HTTP 404 for "
          + url + "): check the id and revision");
    }
    if (status / 100 != 2) {
      throw new ModelLoadException("the hub answered HTTP " + status + " for " + url);
    }
  }

  private ModelLoadException unreachable(String modelId, IOException e) {
    if (e instanceof ConnectException || e instanceof HttpConnectTimeoutException
        || e.getCause() instanceof ConnectException || e.getCause() instanceof java.nio.channels.UnresolvedAddressException) {
      return new ModelLoadException("cannot reach the Hugging Face hub at " + endpoint() + " to download " + modelId
          + " (" + e + "); download the model on a machine with access and pass its directory "
          + "(GuardTrace.builder().model(Path.of(\"/path/to/model\")) or --model DIR), or set HF_ENDPOINT to a "
          + "mirror", e);
    }
    return new ModelLoadException("downloading " + modelId + " failed: " + e.getMessage()
        + " (run again to resume)", e);
  }
}
