package io.guardtrace.models.hub;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.guardtrace.ModelLoadException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The hub client against a fake hub on loopback serving the hub's file endpoints. */
class HuggingFaceHubTest {
  static final String COMMIT = "0123456789abcdef0123456789abcdef01234567";

  HttpServer server;
  final Map<String, byte[]> files = new LinkedHashMap<>();
  final List<String> requests = new CopyOnWriteArrayList<>();
  final AtomicInteger breakAfterBytes = new AtomicInteger(-1);
  volatile int status = 200;
  volatile boolean corruptLfs;
  String lfsSha;

  @TempDir
  Path home;

  @BeforeEach
  void start() throws Exception {
    files.put("config.json", "{\"model_type\": \"qwen2_5_vl\"}".getBytes(StandardCharsets.UTF_8));
    files.put("tokenizer.json", "{\"model\": {}}".getBytes(StandardCharsets.UTF_8));
    byte[] weights = new byte[300_000];
    new Random(1).nextBytes(weights);
    files.put("model.safetensors", weights);
    files.put("README.md", "not needed".getBytes(StandardCharsets.UTF_8));
    lfsSha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(weights));
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext("/", this::handle);
    server.start();
  }

  @AfterEach
  void stop() {
    server.stop(0);
  }

  String endpoint() {
    return "http://127.0.0.1:" + server.getAddress().getPort();
  }

  HuggingFaceHub hub(Map<String, String> extra) {
    Map<String, String> env = new HashMap<>(extra);
    env.putIfAbsent("HF_ENDPOINT", endpoint());
    return new HuggingFaceHub(env, home, new PrintStream(new ByteArrayOutputStream()));
  }

  void handle(HttpExchange ex) throws IOException {
    String path = ex.getRequestURI().getPath();
    requests.add(ex.getRequestMethod() + " " + path + (ex.getRequestHeaders().containsKey("Range")
        ? " " + ex.getRequestHeaders().getFirst("Range") : ""));
    if (status != 200) {
      ex.sendResponseHeaders(status, -1);
      ex.close();
      return;
    }
    if (path.equals("/api/models/org/tiny/revision/main")) {
      StringBuilder json = new StringBuilder("{\"sha\": \"" + COMMIT + "\", \"siblings\": [");
      int i = 0;
      for (String f : files.keySet()) {
        json.append(i++ == 0 ? "" : ",").append("{\"rfilename\": \"").append(f).append("\"}");
      }
      byte[] body = json.append("]}").toString().getBytes(StandardCharsets.UTF_8);
      ex.sendResponseHeaders(200, body.length);
      ex.getResponseBody().write(body);
      ex.close();
      return;
    }
    String prefix = "/org/tiny/resolve/" + COMMIT + "/";
    if (!path.startsWith(prefix) || !files.containsKey(path.substring(prefix.length()))) {
      ex.sendResponseHeaders(404, -1);
      ex.close();
      return;
    }
    String name = path.substring(prefix.length());
    byte[] data = files.get(name);
    boolean lfs = name.endsWith(".safetensors");
    ex.getResponseHeaders().add("X-Repo-Commit", COMMIT);
    ex.getResponseHeaders().add("ETag", "\"" + (lfs ? lfsSha : "git-" + name.hashCode()) + "\"");
    if (lfs) {
      ex.getResponseHeaders().add("X-Linked-Etag", "\"" + lfsSha + "\"");
    }
    ex.getResponseHeaders().add("X-Linked-Size", String.valueOf(data.length));
    if (ex.getRequestMethod().equals("HEAD")) {
      ex.sendResponseHeaders(200, -1);
      ex.close();
      return;
    }
    int from = 0;
    String range = ex.getRequestHeaders().getFirst("Range");
    if (range != null) {
      from = Integer.parseInt(range.replaceAll("bytes=(\\d+)-.*", "$1"));
      ex.getResponseHeaders().add("Content-Range", "bytes " + from + "-" + (data.length - 1) + "/" + data.length);
    }
    byte[] body = java.util.Arrays.copyOfRange(data, from, data.length);
    if (lfs && corruptLfs) {
      body[body.length - 1] ^= 1;
    }
    ex.sendResponseHeaders(range != null ? 206 : 200, body.length);
    OutputStream out = ex.getResponseBody();
    int limit = lfs ? breakAfterBytes.getAndSet(-1) : -1;
    if (limit >= 0) {
      out.write(body, 0, limit);
      out.flush();
      ex.getHttpContext().getServer(); // then drop the connection mid-file
      ex.close();
      throw new IOException("simulated failure mid-file");
    }
    out.write(body);
    ex.close();
  }

  @Test
  void download_writesHubCacheLayout_thenServesFromCacheWithoutHttp() throws Exception {
    Path dir = hub(Map.of()).locate("org/tiny", null);
    Path repo = home.resolve(".cache/huggingface/hub/models--org--tiny");
    assertThat(dir).isEqualTo(repo.resolve("snapshots").resolve(COMMIT));
    assertThat(Files.readString(repo.resolve("refs/main"))).isEqualTo(COMMIT);
    assertThat(Files.readAllBytes(dir.resolve("model.safetensors"))).isEqualTo(files.get("model.safetensors"));
    assertThat(Files.isSymbolicLink(dir.resolve("model.safetensors"))).isTrue();
    assertThat(repo.resolve("blobs").resolve(lfsSha)).exists();
    assertThat(dir.resolve("README.md")).doesNotExist();
    int before = requests.size();
    assertThat(hub(Map.of()).locate("org/tiny", "main")).isEqualTo(dir);
    assertThat(requests).hasSize(before);
  }

  @Test
  void failureMidFile_thenResumeWithRange() throws Exception {
    breakAfterBytes.set(100_000);
    assertThatThrownBy(() -> hub(Map.of()).locate("org/tiny", null)).isInstanceOf(ModelLoadException.class)
        .hasMessageContaining("run again");
    Path dir = hub(Map.of()).locate("org/tiny", null);
    assertThat(requests).anyMatch(r -> r.contains("model.safetensors bytes=100000-"));
    assertThat(Files.readAllBytes(dir.resolve("model.safetensors"))).isEqualTo(files.get("model.safetensors"));
  }

  @Test
  void checksumMismatch_isRejected() {
    corruptLfs = true;
    assertThatThrownBy(() -> hub(Map.of()).locate("org/tiny", null)).isInstanceOf(ModelLoadException.class)
        .hasMessageContaining("SHA-256");
  }

  @Test
  void offline_usesCache_orSaysWhatIsMissing() {
    assertThatThrownBy(() -> hub(Map.of("HF_HUB_OFFLINE", "1")).locate("org/tiny", null))
        .isInstanceOf(ModelLoadException.class).hasMessageContaining("HF_HUB_OFFLINE").hasMessageContaining("--model DIR");
    Path dir = hub(Map.of()).locate("org/tiny", null);
    int before = requests.size();
    assertThat(hub(Map.of("HF_HUB_OFFLINE", "1")).locate("org/tiny", null)).isEqualTo(dir);
    assertThat(requests).hasSize(before);
  }

  @Test
  void pythonDownloadedCache_isFoundViaHfHome(@TempDir Path hfHome) throws Exception {
    Path snap = hfHome.resolve("hub/models--org--cached/snapshots").resolve(COMMIT);
    Files.createDirectories(snap);
    for (String f : List.of("config.json", "tokenizer.json", "model.safetensors")) {
      Files.write(snap.resolve(f), files.get(f));
    }
    Files.createDirectories(hfHome.resolve("hub/models--org--cached/refs"));
    Files.writeString(hfHome.resolve("hub/models--org--cached/refs/main"), COMMIT);
    int port;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort();
    }
    Path found = hub(Map.of("HF_HOME", hfHome.toString(), "HF_ENDPOINT", "http://127.0.0.1:" + port))
        .locate("org/cached", null);
    assertThat(found).isEqualTo(snap);
  }

  @Test
  void unreachableHub_saysSoAndHowToPassADirectory() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort();
    }
    assertThatThrownBy(() -> hub(Map.of("HF_ENDPOINT", "http://127.0.0.1:" + port)).locate("org/tiny", null))
        .isInstanceOf(ModelLoadException.class).hasMessageContaining("cannot reach")
        .hasMessageContaining("--model DIR");
  }

  @Test
  void unauthorized_mentionsToken_andMissingModel_saysNotFound() {
    status = 401;
    assertThatThrownBy(() -> hub(Map.of()).locate("org/tiny", null)).hasMessageContaining("HF_TOKEN");
    status = 200;
    assertThatThrownBy(() -> hub(Map.of()).locate("org/other", null)).hasMessageContaining("no model org/other");
  }

  @Test
  void token_isSentAsBearer() throws Exception {
    List<String> auth = new CopyOnWriteArrayList<>();
    server.createContext("/api/models/org/secret/revision/main", ex -> {
      auth.add(ex.getRequestHeaders().getFirst("Authorization"));
      ex.sendResponseHeaders(403, -1);
      ex.close();
    });
    assertThatThrownBy(() -> hub(Map.of("HF_TOKEN", "hf_abc")).locate("org/secret", null))
        .isInstanceOf(ModelLoadException.class);
    assertThat(auth).containsExactly("Bearer hf_abc");
  }
}
