package io.guardtrace.examples.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import io.guardtrace.GuardTrace;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The command as a separate process, for what one JVM cannot vary: its working directory, its environment
 * (the Hugging Face cache and offline switches) and its logging from the first line on. Every run is offline
 * and its HF_ENDPOINT is a loopback server that records requests, so nothing can leave the machine.
 */
class CliProcessTest {
  static final String COMMIT = "89abcdef0123456789abcdef0123456789abcdef";

  @TempDir
  Path tmp;

  record Result(int code, String out, String err) {}

  static Path tinyModel() {
    String prop = System.getProperty("guardtrace.testdata");
    return (prop != null ? Path.of(prop) : Path.of("..", "testdata")).resolve("qwen2_5_vl/tiny-qwen2_5_vl")
        .toAbsolutePath();
  }

  /** Runs {@code guardtrace args...} in {@code workDir} with {@code env} added to this JVM's environment. */
  static Result run(Path workDir, Map<String, String> env, List<String> jvmArgs, String... args) throws Exception {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.addAll(jvmArgs);
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(GuardTraceCli.class.getName());
    cmd.addAll(Arrays.asList(args));
    ProcessBuilder pb = new ProcessBuilder(cmd).directory(workDir.toFile());
    pb.environment().putAll(env);
    Path out = workDir.resolve("stdout.txt");
    Path err = workDir.resolve("stderr.txt");
    Process p = pb.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
    if (!p.waitFor(120, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("the command did not finish in 120 s");
    }
    return new Result(p.exitValue(), Files.readString(out), Files.readString(err));
  }

  /** A Hugging Face cache holding the tiny model as {@code id}: blobs, and snapshot links into them. */
  static Path cacheWith(Path root, String id) throws IOException {
    Path repo = root.resolve("models--" + id.replace("/", "--"));
    Path snapshot = repo.resolve("snapshots").resolve(COMMIT);
    Files.createDirectories(snapshot);
    Files.createDirectories(repo.resolve("blobs"));
    try (Stream<Path> files = Files.list(tinyModel())) {
      for (Path f : (Iterable<Path>) files::iterator) {
        Path blob = repo.resolve("blobs").resolve("blob-" + f.getFileName());
        Files.copy(f, blob);
        Files.createSymbolicLink(snapshot.resolve(f.getFileName()), snapshot.relativize(blob));
      }
    }
    Files.createDirectories(repo.resolve("refs"));
    Files.writeString(repo.resolve("refs/main"), COMMIT);
    return snapshot;
  }

  Path trace() throws IOException {
    Path t = tmp.resolve("trace.json");
    Files.writeString(t, "{\"question\": \"q\", \"thinking\": \"t\", \"answer\": \"a\"}");
    return t;
  }

  /** A loopback "hub" that answers 404 to everything and records what was asked. */
  static HttpServer recordingHub(List<String> requests) throws IOException {
    HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext("/", ex -> {
      requests.add(ex.getRequestMethod() + " " + ex.getRequestURI());
      ex.sendResponseHeaders(404, -1);
      ex.close();
    });
    server.start();
    return server;
  }

  static Map<String, String> offlineEnv(Path cache, HttpServer hub) {
    return Map.of("HF_HUB_CACHE", cache.toString(), "HF_HUB_OFFLINE", "1", "DJL_OFFLINE", "true",
        "HF_ENDPOINT", "http://127.0.0.1:" + hub.getAddress().getPort());
  }

  @Test
  void defaultModel_comesFromTheHubCache_neverFromASameNamedDirectoryInTheWorkingDirectory() throws Exception {
    Path work = Files.createDirectories(tmp.resolve("work"));
    Path twin = Files.createDirectories(work.resolve(GuardTrace.Builder.DEFAULT_MODEL));
    Files.writeString(twin.resolve("config.json"), "{planted by whoever controls the working directory");
    Path cache = tmp.resolve("hf-cache");
    cacheWith(cache, GuardTrace.Builder.DEFAULT_MODEL);
    List<String> requests = new CopyOnWriteArrayList<>();
    HttpServer hub = recordingHub(requests);
    try {
      Result r = run(work, offlineEnv(cache, hub), List.of(), "detect", "--device", "cpu", "--max-new-tokens", "2",
          "--format", "json", trace().toString());
      assertThat(r.code()).as(r.err()).isZero();
      assertThat(r.out()).contains("\"level\"");
      assertThat(r.err()).as("no warnings, no progress for a cached model: nothing but the verdict").isEmpty();

      Result explicit = run(work, offlineEnv(cache, hub), List.of(), "detect", "--model",
          GuardTrace.Builder.DEFAULT_MODEL, trace().toString());
      assertThat(explicit.code()).as(explicit.err()).isEqualTo(ExitCodes.USAGE);
      assertThat(explicit.err()).contains("both a Hugging Face id and a directory")
          .contains("./" + GuardTrace.Builder.DEFAULT_MODEL);
    } finally {
      hub.stop(0);
    }
    assertThat(requests).isEmpty();
  }

  @Test
  void offline_withTheModelMissingFromTheCache_failsWithoutAnyRequest_andSaysHowToPassADirectory() throws Exception {
    List<String> requests = new CopyOnWriteArrayList<>();
    HttpServer hub = recordingHub(requests);
    try {
      for (Map<String, String> offline : List.of(Map.of("HF_HUB_OFFLINE", "1"), Map.of("DJL_OFFLINE", "true"))) {
        Map<String, String> env = new java.util.HashMap<>(Map.of("HF_HUB_CACHE", tmp.resolve("empty").toString(),
            "HF_ENDPOINT", "http://127.0.0.1:" + hub.getAddress().getPort(), "HF_HUB_OFFLINE", "0",
            "DJL_OFFLINE", "false"));
        env.putAll(offline);
        Result r = run(tmp, env, List.of(), "detect", trace().toString());
        assertThat(r.code()).as(r.err()).isEqualTo(ExitCodes.MODEL);
        assertThat(r.err()).contains(GuardTrace.Builder.DEFAULT_MODEL + " (revision main) is not in the Hugging Face "
            + "cache").contains("--model DIR").contains(offline.keySet().iterator().next());
      }
      Result prop = run(tmp, Map.of("HF_HUB_CACHE", tmp.resolve("empty").toString(), "HF_ENDPOINT",
          "http://127.0.0.1:" + hub.getAddress().getPort(), "HF_HUB_OFFLINE", "0", "DJL_OFFLINE", "false"),
          List.of("-Dai.djl.offline=true"), "detect", trace().toString());
      assertThat(prop.code()).as(prop.err()).isEqualTo(ExitCodes.MODEL);
      assertThat(prop.err()).contains("ai.djl.offline").contains("not in the Hugging Face cache");
    } finally {
      hub.stop(0);
    }
    assertThat(requests).isEmpty();
  }

  @Test
  void modelLoad_logsOneInfoLine_andCudaAtMostOnceAtDebug_withNoWarnings() throws Exception {
    Result r = run(tmp, Map.of(), List.of("-Dorg.slf4j.simpleLogger.defaultLogLevel=debug"), "detect", "--model",
        tinyModel().toString(), "--device", "auto", "--max-new-tokens", "2", trace().toString());
    assertThat(r.code()).as(r.err()).isZero();
    List<String> lines = r.err().lines().toList();
    assertThat(lines).as(r.err()).noneMatch(l -> l.contains(" WARN ") || l.contains(" ERROR "));
    assertThat(lines.stream().filter(l -> l.contains("ai.djl.util.cuda"))).as(r.err()).isEmpty();
    assertThat(lines.stream().filter(l -> l.toLowerCase(java.util.Locale.ROOT).contains("cuda"))).as(r.err())
        .hasSizeLessThanOrEqualTo(1).allMatch(l -> l.contains(" DEBUG "));
    assertThat(lines.stream().filter(l -> l.contains(" INFO io.guardtrace.models.engine.Qwen25VlEngine - loaded "
        + "model " + tinyModel() + " on cpu() (") && l.contains(" ms; decode kernels: "))).as(r.err()).hasSize(1);
  }
}
