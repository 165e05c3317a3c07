package io.guardtrace.models.hub;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.guardtrace.DownloadProgress;
import io.guardtrace.ModelLoadException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The hub client against a fake hub on loopback serving the hub's endpoints as the real one does: small files
 * directly with their git blob hash as ETag, LFS files (optionally) through a 302 to a "CDN" on another origin
 * ({@code localhost} instead of {@code 127.0.0.1}) with {@code X-Linked-Etag}/{@code X-Linked-Size} on the 302.
 */
class HuggingFaceHubTest {
  static final String COMMIT = "0123456789abcdef0123456789abcdef01234567";
  static final String LFS = "model.safetensors";

  HttpServer server;
  ExecutorService serverThreads;
  final Map<String, byte[]> files = new LinkedHashMap<>();
  final List<String> requests = new CopyOnWriteArrayList<>();
  /** Authorization header per request ("-" when absent), keyed like {@link #requests}. */
  final List<String> cdnAuthorization = new CopyOnWriteArrayList<>();
  final List<String> endpointAuthorization = new CopyOnWriteArrayList<>();
  final AtomicInteger breakAfterBytes = new AtomicInteger(-1);
  final AtomicInteger lfsHeads = new AtomicInteger();
  final AtomicInteger lfsGets = new AtomicInteger();
  volatile int status = 200;
  volatile boolean corruptLfs;
  volatile boolean redirectLfs;
  volatile boolean refuseRanges;
  volatile int extraBodyBytes;
  volatile int holdLfsGetUntilHeads;
  /** Files served with a meaningless ETag and no size: the HEAD says nothing checkable. */
  final Set<String> unannounced = ConcurrentHashMap.newKeySet();
  /** For unannounced files: whether the GET sends Content-Length (else chunked). */
  volatile boolean unannouncedWithLength;
  final Set<String> corruptSmall = ConcurrentHashMap.newKeySet();
  String lfsSha;
  byte[] apiAnswer;

  @TempDir
  Path home;

  @BeforeEach
  void start() throws Exception {
    files.put("config.json", "{\"model_type\": \"qwen2_5_vl\"}".getBytes(StandardCharsets.UTF_8));
    files.put("tokenizer.json", "{\"model\": {}}".getBytes(StandardCharsets.UTF_8));
    files.put("generation_config.json", "{\"eos_token_id\": 1}".getBytes(StandardCharsets.UTF_8));
    byte[] weights = new byte[300_000];
    new Random(1).nextBytes(weights);
    files.put(LFS, weights);
    files.put("README.md", "not needed".getBytes(StandardCharsets.UTF_8));
    lfsSha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(weights));
    serverThreads = Executors.newCachedThreadPool();
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.setExecutor(serverThreads);
    server.createContext("/", this::handle);
    server.start();
  }

  @AfterEach
  void stop() {
    server.stop(0);
    serverThreads.shutdownNow();
  }

  String endpoint() {
    return "http://127.0.0.1:" + server.getAddress().getPort();
  }

  /** The "CDN": the same server under another origin. */
  String cdn() {
    return "http://localhost:" + server.getAddress().getPort();
  }

  HuggingFaceHub hub(Map<String, String> extra) {
    return hub(extra, Map.of());
  }

  HuggingFaceHub hub(Map<String, String> extra, Map<String, String> properties) {
    Map<String, String> env = new HashMap<>(extra);
    env.putIfAbsent("HF_ENDPOINT", endpoint());
    return new HuggingFaceHub(HubSettings.from(env, properties, home));
  }

  Path repo() {
    return home.resolve(".cache/huggingface/hub/models--org--tiny");
  }

  static String gitBlobSha1(byte[] data) throws Exception {
    MessageDigest md = MessageDigest.getInstance("SHA-1");
    md.update(("blob " + data.length + "\0").getBytes(StandardCharsets.US_ASCII));
    return HexFormat.of().formatHex(md.digest(data));
  }

  void handle(HttpExchange ex) throws IOException {
    try {
      serve(ex);
    } catch (IOException e) {
      ex.close();
      throw e;
    } catch (Exception e) {
      ex.close();
      throw new IOException(e);
    }
  }

  void serve(HttpExchange ex) throws Exception {
    String path = ex.getRequestURI().getPath();
    String host = ex.getRequestHeaders().getFirst("Host");
    boolean onCdn = host != null && host.startsWith("localhost");
    String auth = String.valueOf(ex.getRequestHeaders().getFirst("Authorization"));
    (onCdn ? cdnAuthorization : endpointAuthorization).add(auth);
    requests.add((onCdn ? "CDN " : "") + ex.getRequestMethod() + " " + path
        + (ex.getRequestHeaders().containsKey("Range") ? " " + ex.getRequestHeaders().getFirst("Range") : ""));
    if (status != 200) {
      ex.sendResponseHeaders(status, -1);
      ex.close();
      return;
    }
    if (!onCdn && path.equals("/api/models/org/tiny/revision/main")) {
      byte[] body = apiAnswer != null ? apiAnswer : apiJson(files.keySet()).getBytes(StandardCharsets.UTF_8);
      ex.sendResponseHeaders(200, body.length);
      ex.getResponseBody().write(body);
      ex.close();
      return;
    }
    String prefix = onCdn ? "/cdn/" : "/org/tiny/resolve/" + COMMIT + "/";
    if (!path.startsWith(prefix) || !files.containsKey(path.substring(prefix.length()))) {
      ex.sendResponseHeaders(404, -1);
      ex.close();
      return;
    }
    String name = path.substring(prefix.length());
    byte[] data = files.get(name);
    boolean lfs = name.endsWith(".safetensors");
    boolean head = ex.getRequestMethod().equals("HEAD");
    if (lfs && !onCdn) {
      (head ? lfsHeads : lfsGets).incrementAndGet();
    }
    if (lfs && !onCdn && redirectLfs) {
      // the real hub: a 302 to the CDN carrying the LFS metadata
      ex.getResponseHeaders().add("X-Linked-Etag", "\"" + lfsSha + "\"");
      ex.getResponseHeaders().add("X-Linked-Size", String.valueOf(data.length));
      ex.getResponseHeaders().add("ETag", "\"" + lfsSha + "\"");
      ex.getResponseHeaders().add("Location", cdn() + "/cdn/" + name);
      ex.sendResponseHeaders(302, -1);
      ex.close();
      return;
    }
    if (onCdn) {
      ex.getResponseHeaders().add("ETag", "\"cdn-object-" + name.length() + "\"");
    } else if (unannounced.contains(name)) {
      ex.getResponseHeaders().add("ETag", "\"v1-opaque\"");
    } else {
      ex.getResponseHeaders().add("ETag", "\"" + (lfs ? lfsSha : gitBlobSha1(data)) + "\"");
      if (lfs) {
        ex.getResponseHeaders().add("X-Linked-Etag", "\"" + lfsSha + "\"");
      }
      ex.getResponseHeaders().add("X-Linked-Size", String.valueOf(data.length));
    }
    if (head) {
      ex.sendResponseHeaders(200, -1);
      ex.close();
      return;
    }
    if (lfs && holdLfsGetUntilHeads > 0) {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (lfsHeads.get() < holdLfsGetUntilHeads && System.nanoTime() < deadline) {
        Thread.sleep(10);
      }
    }
    int from = 0;
    String range = ex.getRequestHeaders().getFirst("Range");
    if (range != null) {
      from = Integer.parseInt(range.replaceAll("bytes=(\\d+)-.*", "$1"));
      if (refuseRanges || from >= data.length) {
        ex.sendResponseHeaders(416, -1);
        ex.close();
        return;
      }
      ex.getResponseHeaders().add("Content-Range", "bytes " + from + "-" + (data.length - 1) + "/" + data.length);
    }
    byte[] body = Arrays.copyOfRange(data, from, data.length + extraBodyBytes);
    if (lfs && corruptLfs || corruptSmall.contains(name)) {
      body[body.length - 1] ^= 1;
    }
    boolean chunked = unannounced.contains(name) && !unannouncedWithLength;
    ex.sendResponseHeaders(range != null ? 206 : 200, chunked ? 0 : body.length);
    OutputStream out = ex.getResponseBody();
    int limit = lfs || unannounced.contains(name) ? breakAfterBytes.getAndSet(-1) : -1;
    if (limit >= 0) {
      out.write(body, 0, limit);
      out.flush();
      if (chunked) {
        out.close(); // a clean end of a chunked body: only the missing size can tell it was cut
        return;
      }
      ex.close(); // drop the connection mid-file
      throw new IOException("simulated failure mid-file");
    }
    out.write(body);
    ex.close();
  }

  static String apiJson(Iterable<String> names) {
    StringBuilder json = new StringBuilder("{\"sha\": \"" + COMMIT + "\", \"siblings\": [");
    int i = 0;
    for (String f : names) {
      json.append(i++ == 0 ? "" : ",").append("{\"rfilename\": \"").append(f).append("\"}");
    }
    return json.append("]}").toString();
  }

  /** {@code file} is not cached: no blob (complete or partial), no snapshot entry, and no ref for the model. */
  void assertNothingCachedFor(String file, String blobName) throws IOException {
    assertThat(repo().resolve("refs/main")).doesNotExist();
    assertThat(repo().resolve("snapshots").resolve(COMMIT).resolve(file)).doesNotExist();
    assertThat(repo().resolve("blobs").resolve(blobName)).doesNotExist();
    assertThat(repo().resolve("blobs").resolve(blobName + ".incomplete")).doesNotExist();
  }

  @Test
  void download_writesHubCacheLayout_thenServesFromCacheWithoutHttp() throws Exception {
    Path dir = hub(Map.of()).locate("org/tiny", null);
    assertThat(dir).isEqualTo(repo().resolve("snapshots").resolve(COMMIT));
    assertThat(Files.readString(repo().resolve("refs/main"))).isEqualTo(COMMIT);
    assertThat(Files.readAllBytes(dir.resolve(LFS))).isEqualTo(files.get(LFS));
    assertThat(Files.isSymbolicLink(dir.resolve(LFS))).isTrue();
    assertThat(repo().resolve("blobs").resolve(lfsSha)).exists();
    assertThat(repo().resolve("blobs").resolve(gitBlobSha1(files.get("config.json")))).exists();
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
    assertThat(requests).anyMatch(r -> r.contains(LFS + " bytes=100000-"));
    assertThat(Files.readAllBytes(dir.resolve(LFS))).isEqualTo(files.get(LFS));
  }

  @Test
  void checksumMismatch_isRejected_andNothingCached() throws Exception {
    corruptLfs = true;
    assertThatThrownBy(() -> hub(Map.of()).locate("org/tiny", null)).isInstanceOf(ModelLoadException.class)
        .hasMessageContaining("SHA-256").hasMessageContaining("nothing was cached");
    assertNothingCachedFor(LFS, lfsSha);
  }

  @Test
  void token_isNeverSentToARedirectTargetOnAnotherOrigin() throws Exception {
    redirectLfs = true;
    Path dir = hub(Map.of("HF_TOKEN", "hf_secret")).locate("org/tiny", null);
    assertThat(Files.readAllBytes(dir.resolve(LFS))).isEqualTo(files.get(LFS));
    assertThat(requests).anyMatch(r -> r.startsWith("CDN GET /cdn/" + LFS));
    assertThat(cdnAuthorization).isNotEmpty().allMatch(a -> a.equals("null"));
    assertThat(endpointAuthorization).isNotEmpty().allMatch(a -> a.equals("Bearer hf_secret"));
  }

  @Test
  void metadataRequest_neverLeavesTheEndpoint() throws Exception {
    redirectLfs = true;
    hub(Map.of()).locate("org/tiny", null);
    assertThat(requests).noneMatch(r -> r.startsWith("CDN HEAD"));
  }

  @Test
  void corruptLfsBehindRedirect_isRejectedByTheChecksumOnThe302_andNothingCached() throws Exception {
    redirectLfs = true;
    corruptLfs = true;
    assertThatThrownBy(() -> hub(Map.of()).locate("org/tiny", null)).isInstanceOf(ModelLoadException.class)
        .hasMessageContaining("SHA-256").hasMessageContaining(lfsSha);
    assertNothingCachedFor(LFS, lfsSha);
  }

  @Test
  void corruptSmallFile_failsItsGitBlobHash_andNothingCached() throws Exception {
    corruptSmall.add("config.json");
    assertThatThrownBy(() -> hub(Map.of()).locate("org/tiny", null)).isInstanceOf(ModelLoadException.class)
        .hasMessageContaining("config.json").hasMessageContaining("git blob hash");
    assertNothingCachedFor("config.json", gitBlobSha1(files.get("config.json")));
  }

  @Test
  void fileWithoutSizeOrChecksum_chunkedBody_isNeverCached() throws Exception {
    unannounced.add("generation_config.json");
    assertThatThrownBy(() -> hub(Map.of()).locate("org/tiny", null)).isInstanceOf(ModelLoadException.class)
        .hasMessageContaining("generation_config.json").hasMessageContaining("neither its size nor a checksum");
    assertNothingCachedFor("generation_config.json", "v1-opaque");
  }

  @Test
  void fileWithoutSizeOrChecksum_cutShortOfItsContentLength_isNeverCached() throws Exception {
    unannounced.add("generation_config.json");
    unannouncedWithLength = true;
    breakAfterBytes.set(5);
    assertThatThrownBy(() -> hub(Map.of()).locate("org/tiny", null)).isInstanceOf(ModelLoadException.class);
    assertNothingCachedFor("generation_config.json", "v1-opaque");
  }

  @Test
  void fileWithoutSizeOrChecksum_withItsContentLengthReceivedInFull_isCached() throws Exception {
    unannounced.add("generation_config.json");
    unannouncedWithLength = true;
    Path dir = hub(Map.of()).locate("org/tiny", null);
    assertThat(Files.readAllBytes(dir.resolve("generation_config.json")))
        .isEqualTo(files.get("generation_config.json"));
  }

  @Test
  void bodyLongerThanAnnounced_isCutOffAndRejected() throws Exception {
    extraBodyBytes = 1 << 20;
    assertThatThrownBy(() -> hub(Map.of()).locate("org/tiny", null)).isInstanceOf(ModelLoadException.class)
        .hasMessageContaining("more than the");
    assertNothingCachedFor("config.json", gitBlobSha1(files.get("config.json")));
  }

  @Test
  void hugeApiAnswer_isRefusedUnread() {
    StringBuilder names = new StringBuilder();
    List<String> many = new ArrayList<>(List.of("config.json"));
    String pad = "x".repeat(1000);
    while (names.length() < HuggingFaceHub.MAX_API_ANSWER_BYTES) {
      String n = "padding-" + names.length() + pad;
      names.append(n);
      many.add(n);
    }
    apiAnswer = apiJson(many).getBytes(StandardCharsets.UTF_8);
    assertThatThrownBy(() -> hub(Map.of()).locate("org/tiny", null)).isInstanceOf(ModelLoadException.class)
        .hasMessageContaining("larger than");
  }

  @Test
  void resumeRefusedWith416_restartsTheFileCleanly() throws Exception {
    Files.createDirectories(repo().resolve("blobs"));
    Files.write(repo().resolve("blobs").resolve(lfsSha + ".incomplete"), new byte[100_000]);
    refuseRanges = true;
    Path dir = hub(Map.of()).locate("org/tiny", null);
    assertThat(requests).anyMatch(r -> r.equals("GET /org/tiny/resolve/" + COMMIT + "/" + LFS + " bytes=100000-"));
    assertThat(Files.readAllBytes(dir.resolve(LFS))).isEqualTo(files.get(LFS));
  }

  @Test
  void partialLongerThanTheFile_asTwoWritersLeftIt_restartsTheFileCleanly() throws Exception {
    Files.createDirectories(repo().resolve("blobs"));
    Files.write(repo().resolve("blobs").resolve(lfsSha + ".incomplete"), new byte[450_000]);
    Path dir = hub(Map.of()).locate("org/tiny", null);
    assertThat(Files.readAllBytes(dir.resolve(LFS))).isEqualTo(files.get(LFS));
  }

  @Test
  void twoThreads_downloadingTheSameModel_fetchTheFileOnce() throws Exception {
    holdLfsGetUntilHeads = 2;
    ExecutorService two = Executors.newFixedThreadPool(2);
    try {
      Future<Path> a = two.submit(() -> hub(Map.of()).locate("org/tiny", null));
      Future<Path> b = two.submit(() -> hub(Map.of()).locate("org/tiny", null));
      assertThat(a.get(60, TimeUnit.SECONDS)).isEqualTo(b.get(60, TimeUnit.SECONDS));
      assertThat(Files.readAllBytes(a.get().resolve(LFS))).isEqualTo(files.get(LFS));
    } finally {
      two.shutdownNow();
    }
    assertThat(lfsHeads.get()).isEqualTo(2);
    assertThat(lfsGets.get()).as("the second waits on the lock, then finds the blob").isEqualTo(1);
  }

  @Test
  void twoProcesses_downloadingTheSameModel_fetchTheFileOnce() throws Exception {
    holdLfsGetUntilHeads = 2;
    Process other = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"), HubDownloadProcess.class.getName(), endpoint(),
        home.toString(), "org/tiny")
        .redirectErrorStream(true).start();
    Path mine = hub(Map.of()).locate("org/tiny", null);
    assertThat(other.waitFor(60, TimeUnit.SECONDS)).isTrue();
    String output = new String(other.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(other.exitValue()).as(output).isZero();
    assertThat(output).contains(mine.toString());
    assertThat(Files.readAllBytes(mine.resolve(LFS))).isEqualTo(files.get(LFS));
    assertThat(lfsHeads.get()).isEqualTo(2);
    assertThat(lfsGets.get()).as("the other process waits on the lock file, then finds the blob").isEqualTo(1);
  }

  @Test
  void listener_seesEveryFileStartAdvanceAndFinish() throws Exception {
    List<DownloadProgress> events = new CopyOnWriteArrayList<>();
    hub(Map.of()).locate("org/tiny", null, events::add);
    int count = 4; // config, tokenizer, generation config, weights: README.md is not needed
    assertThat(events).allMatch(e -> e.modelId().equals("org/tiny") && e.fileCount() == count);
    assertThat(events.stream().filter(DownloadProgress::fileDone).map(DownloadProgress::file))
        .containsExactlyInAnyOrder("config.json", "tokenizer.json", "generation_config.json", LFS);
    List<DownloadProgress> weights = events.stream().filter(e -> e.file().equals(LFS)).toList();
    assertThat(weights.get(0).bytesDone()).isZero();
    assertThat(weights.get(0).fileDone()).isFalse();
    DownloadProgress last = weights.get(weights.size() - 1);
    assertThat(last.fileDone()).isTrue();
    assertThat(last.bytesDone()).isEqualTo(last.totalBytes()).isEqualTo(files.get(LFS).length);
    for (int i = 1; i < weights.size(); i++) {
      assertThat(weights.get(i).bytesDone()).isGreaterThanOrEqualTo(weights.get(i - 1).bytesDone());
    }
  }

  @Test
  void download_writesNothingToStdoutOrStderr() {
    org.slf4j.LoggerFactory.getILoggerFactory(); // SLF4J's own notice about a missing provider is not ours
    java.io.PrintStream out = System.out;
    java.io.PrintStream err = System.err;
    java.io.ByteArrayOutputStream captured = new java.io.ByteArrayOutputStream();
    java.io.PrintStream capture = new java.io.PrintStream(captured, true, StandardCharsets.UTF_8);
    System.setOut(capture);
    System.setErr(capture);
    try {
      redirectLfs = true;
      hub(Map.of()).locate("org/tiny", null, p -> { });
    } finally {
      System.setOut(out);
      System.setErr(err);
    }
    assertThat(captured.toString(StandardCharsets.UTF_8)).isEmpty();
  }

  @Test
  void listenerThatThrows_doesNotStopTheDownload() {
    Path dir = hub(Map.of()).locate("org/tiny", null, p -> {
      throw new IllegalStateException("broken progress bar");
    });
    assertThat(dir.resolve(LFS)).exists();
  }

  @Test
  void revisionsThatAreNotRefNames_areRefusedBeforeAnyPathOrRequest() throws Exception {
    // a cooperating file outside the cache, as /abs/file or ../../x would have reached
    Path outside = home.resolve("outside");
    Files.createDirectories(outside);
    for (String f : List.of("config.json", "tokenizer.json", LFS)) {
      Files.write(outside.resolve(f), files.get(f));
    }
    Path refFile = home.resolve("ref-pointing-out");
    Files.writeString(refFile, "../../../outside");
    for (String rev : List.of(refFile.toString(), "../../x", "a/../../b", "main\n", "v1..2", ".hidden", "x.lock",
        "feature//x", "@{-1}", "a b", "a\\b", "")) {
      assertThatThrownBy(() -> hub(Map.of()).locate("org/tiny", rev)).as(rev)
          .isInstanceOf(ModelLoadException.class).hasMessageContaining("not a valid branch, tag or commit");
    }
    assertThat(requests).isEmpty();
    assertThat(home.resolve(".cache")).doesNotExist();
  }

  @Test
  void validRevisions_pass() {
    for (String rev : List.of("main", "v1.0", "refs/pr/12", "release/2025-01", COMMIT)) {
      assertThat(HubNames.requireRevision(rev)).isEqualTo(rev);
    }
  }

  @Test
  void refFileThatIsNotACommit_isNeverUsedAsAPath() throws Exception {
    Path escape = repo().resolve("escape");
    Files.createDirectories(escape);
    Files.createDirectories(repo().resolve("snapshots")); // as in any used cache: "snapshots/.." resolves
    for (String f : List.of("config.json", "tokenizer.json", LFS)) {
      Files.write(escape.resolve(f), files.get(f));
    }
    Files.createDirectories(repo().resolve("refs"));
    Files.writeString(repo().resolve("refs/main"), "../escape");
    assertThatThrownBy(() -> hub(Map.of("HF_HUB_OFFLINE", "1")).locate("org/tiny", null))
        .isInstanceOf(ModelLoadException.class).hasMessageContaining("not in the Hugging Face cache");
    Path dir = hub(Map.of()).locate("org/tiny", null);
    assertThat(dir).isEqualTo(repo().resolve("snapshots").resolve(COMMIT));
    assertThat(Files.readString(repo().resolve("refs/main"))).isEqualTo(COMMIT);
  }

  @Test
  void hubAnswerWithAnotherCommitThanAsked_isRefused() {
    String asked = "f".repeat(40);
    server.createContext("/api/models/org/tiny/revision/" + asked, ex -> {
      byte[] body = apiJson(List.of("config.json")).getBytes(StandardCharsets.UTF_8);
      ex.sendResponseHeaders(200, body.length);
      ex.getResponseBody().write(body);
      ex.close();
    });
    assertThatThrownBy(() -> hub(Map.of()).locate("org/tiny", asked)).isInstanceOf(ModelLoadException.class)
        .hasMessageContaining("asked for commit " + asked);
  }

  @Test
  void indexNamingFilesOutsideTheSnapshot_isNeverComplete() throws Exception {
    Path snap = home.resolve("snap");
    Files.createDirectories(snap);
    Files.write(snap.resolve("config.json"), files.get("config.json"));
    Files.write(snap.resolve("tokenizer.json"), files.get("tokenizer.json"));
    Path victim = home.resolve("victim.safetensors");
    Files.write(victim, new byte[16]);
    for (String name : List.of("../victim.safetensors", victim.toString(), "sub/../../victim.safetensors",
        "./../victim.safetensors")) {
      Files.writeString(snap.resolve("model.safetensors.index.json"),
          "{\"weight_map\": {\"w\": \"" + name.replace("\\", "\\\\") + "\"}}");
      assertThat(HubCache.complete(snap)).as(name).isFalse();
    }
    Files.write(snap.resolve("model-00001-of-00001.safetensors"), new byte[16]);
    Files.writeString(snap.resolve("model.safetensors.index.json"),
        "{\"weight_map\": {\"w\": \"model-00001-of-00001.safetensors\"}}");
    assertThat(HubCache.complete(snap)).isTrue();
  }

  @Test
  void fileNamesFromTheHub_areCheckedBeforeUse() {
    Path snap = home.resolve("snap");
    for (String bad : List.of("../x", "/etc/passwd", "a/../../x", "C:\\x", "a\\..\\x", "", "a//b", "./a")) {
      assertThatThrownBy(() -> HubNames.resolveInside(snap, bad)).as(bad).isInstanceOf(ModelLoadException.class);
    }
    assertThat(HubNames.resolveInside(snap, "model-00001-of-00002.safetensors"))
        .isEqualTo(snap.resolve("model-00001-of-00002.safetensors"));
    assertThat(HubNames.blobName("../../evil")).startsWith("etag-").doesNotContain("/");
    assertThat(HubNames.blobName(lfsSha)).isEqualTo(lfsSha);
  }

  @Test
  void redirects_areBounded_andOnlyToHttp() {
    server.createContext("/api/models/org/loop/revision/main", ex -> {
      ex.getResponseHeaders().add("Location", "/api/models/org/loop/revision/main");
      ex.sendResponseHeaders(302, -1);
      ex.close();
    });
    assertThatThrownBy(() -> hub(Map.of()).locate("org/loop", null)).isInstanceOf(ModelLoadException.class)
        .hasMessageContaining("more than " + HubHttp.MAX_REDIRECTS);
    URI from = URI.create("https://hub.example/org/x/resolve/c/f");
    assertThatThrownBy(() -> HubHttp.redirectTarget(from, "file:///etc/passwd"))
        .isInstanceOf(ModelLoadException.class).hasMessageContaining("not an http(s) URL");
    assertThatThrownBy(() -> HubHttp.redirectTarget(from, "http://cdn.example/f"))
        .isInstanceOf(ModelLoadException.class).hasMessageContaining("down to plain http");
    assertThat(HubHttp.redirectTarget(from, "/other/f")).isEqualTo(URI.create("https://hub.example/other/f"));
  }

  @Test
  void offlineSwitches_allStopEveryRequest_andNameTheMissingModel() {
    List<HuggingFaceHub> offline = List.of(hub(Map.of("HF_HUB_OFFLINE", "1")), hub(Map.of("HF_HUB_OFFLINE", "yes")),
        hub(Map.of("HF_HUB_OFFLINE", "TRUE")), hub(Map.of("DJL_OFFLINE", "true")),
        hub(Map.of(), Map.of("ai.djl.offline", "true")), hub(Map.of(), Map.of("DJL_OFFLINE", "true")));
    for (HuggingFaceHub h : offline) {
      assertThatThrownBy(() -> h.locate("org/tiny", null)).isInstanceOf(ModelLoadException.class)
          .hasMessageContaining("forbids downloads").hasMessageContaining("org/tiny (revision main) is not in the "
              + "Hugging Face cache").hasMessageContaining("--model DIR");
    }
    assertThat(requests).isEmpty();
    assertThat(hub(Map.of("HF_HUB_OFFLINE", "0", "DJL_OFFLINE", "false")).locate("org/tiny", null)).exists();
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
    for (String f : List.of("config.json", "tokenizer.json", LFS)) {
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
  void badEndpoint_failsADownloadWithAModelLoadException_butNotACacheHit() {
    assertThatThrownBy(() -> hub(Map.of("HF_ENDPOINT", "file:///etc")).locate("org/tiny", null))
        .isInstanceOf(ModelLoadException.class).hasMessageContaining("must be an http(s) URL");
    Path dir = hub(Map.of()).locate("org/tiny", null);
    assertThat(hub(Map.of("HF_ENDPOINT", "not a url")).locate("org/tiny", null)).isEqualTo(dir);
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
