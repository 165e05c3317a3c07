package io.guardtrace.models.weights;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.guardtrace.ModelLoadException;
import io.guardtrace.models.Fixtures;
import io.guardtrace.models.HostileModels;
import io.guardtrace.models.config.Json;
import io.guardtrace.models.config.ModelDirectory;
import io.guardtrace.models.engine.Qwen25VlEngine;
import io.guardtrace.models.engine.Qwen25VlEngineProvider;
import io.guardtrace.models.safetensors.SafetensorsFile;
import io.guardtrace.spi.EngineOptions;
import io.guardtrace.spi.EngineRequest;
import io.guardtrace.spi.PromptPart;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A hostile model repository cannot make the loader read outside the model directory, hang it on a special
 * file, or carry a file's bytes out in an error message (issue 16, item 5); the Hugging Face cache's snapshot
 * links into its blobs/ still load.
 */
class HostileModelFilesTest {
  /** Long enough for a load of the tiny model on a busy machine; a hang is forever. */
  private static final Duration FAST = Duration.ofSeconds(60);

  private static final String SECRET = "TOPSECRET password=hunter2 not for any model";

  private static Set<String> tinyTensorNames() {
    try (SafetensorsFile f = SafetensorsFile.open(Fixtures.tinyModel().resolve("model.safetensors"))) {
      return f.tensors().keySet();
    }
  }

  /** A sharded copy of the tiny model whose index maps every tensor to {@code shard}. */
  private static Path indexedModel(Path dir, String shard) {
    Path model = HostileModels.copyTiny(dir.resolve("model"));
    try {
      Files.delete(model.resolve("model.safetensors"));
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    ObjectNode index = Json.MAPPER.createObjectNode();
    ObjectNode map = index.putObject("weight_map");
    for (String name : tinyTensorNames()) {
      map.put(name, shard);
    }
    HostileModels.replace(model.resolve("model.safetensors.index.json"),
        index.toString().getBytes(StandardCharsets.UTF_8));
    return model;
  }

  @Test
  void weightMap_pointingIntoTheParentDirectory_isRefused(@TempDir Path dir) throws Exception {
    // a valid checkpoint outside the model: before the fix the loader opened it and loaded it
    Files.copy(Fixtures.tinyModel().resolve("model.safetensors"), dir.resolve("secret.safetensors"));
    Path model = indexedModel(dir, "../secret.safetensors");
    assertThatThrownBy(() -> WeightStore.open(model)).isInstanceOf(ModelLoadException.class)
        .hasMessageContaining("not a plain file name").hasMessageContaining("weight_map");
    assertThatThrownBy(() -> Qwen25VlEngine.open(EngineOptions.of(model).withCpu()))
        .isInstanceOf(ModelLoadException.class).hasMessageContaining("not a plain file name");
  }

  @Test
  void weightMap_withAnAbsolutePath_isRefused(@TempDir Path dir) throws Exception {
    Path outside = dir.resolve("elsewhere.safetensors");
    Files.copy(Fixtures.tinyModel().resolve("model.safetensors"), outside);
    Path model = indexedModel(dir, outside.toAbsolutePath().toString());
    assertThatThrownBy(() -> WeightStore.open(model)).isInstanceOf(ModelLoadException.class)
        .hasMessageContaining("not a plain file name");
  }

  @Test
  void weightMap_namingAFifo_failsFastInsteadOfHanging(@TempDir Path dir) {
    Path model = indexedModel(dir, "model-00001-of-00001.safetensors");
    HostileModels.mkfifo(model.resolve("model-00001-of-00001.safetensors"));
    assertTimeoutPreemptively(FAST, () -> assertThatThrownBy(() -> WeightStore.open(model))
        .isInstanceOf(ModelLoadException.class).hasMessageContaining("not a regular file")
        .hasMessageContaining("model-00001-of-00001.safetensors"));
  }

  @Test
  void weightMap_namingADirectory_isRefused(@TempDir Path dir) throws Exception {
    Path model = indexedModel(dir, "shards");
    Files.createDirectory(model.resolve("shards"));
    assertThatThrownBy(() -> WeightStore.open(model)).isInstanceOf(ModelLoadException.class)
        .hasMessageContaining("not a regular file");
  }

  @Test
  void configJsonThatIsAFifo_failsFast_inTheProviderAndTheEngine(@TempDir Path dir) throws Exception {
    Path model = HostileModels.copyTiny(dir.resolve("model"));
    Files.delete(model.resolve("config.json"));
    HostileModels.mkfifo(model.resolve("config.json"));
    assertTimeoutPreemptively(FAST, () -> {
      // supports() leaves the precise message to open()
      assertThat(new Qwen25VlEngineProvider().supports(EngineOptions.of(model))).isTrue();
      assertThatThrownBy(() -> Qwen25VlEngine.open(EngineOptions.of(model).withCpu()))
          .isInstanceOf(ModelLoadException.class).hasMessageContaining("config.json")
          .hasMessageContaining("not a regular file");
    });
  }

  @Test
  void linksOutOfTheModelDirectory_areRefused(@TempDir Path dir) throws Exception {
    Path elsewhere = Files.createDirectory(dir.resolve("elsewhere"));
    Files.copy(Fixtures.tinyModel().resolve("model.safetensors"), elsewhere.resolve("model.safetensors"));
    Files.copy(Fixtures.tinyModel().resolve("config.json"), elsewhere.resolve("config.json"));
    Path model = HostileModels.copyTiny(dir.resolve("model"));
    Files.delete(model.resolve("model.safetensors"));
    Files.createSymbolicLink(model.resolve("model.safetensors"), Path.of("../elsewhere/model.safetensors"));
    assertThatThrownBy(() -> WeightStore.open(model)).isInstanceOf(ModelLoadException.class)
        .hasMessageContaining("model.safetensors").hasMessageContaining("outside the model directory");

    Path model2 = HostileModels.copyTiny(dir.resolve("model2"));
    Files.delete(model2.resolve("config.json"));
    Files.createSymbolicLink(model2.resolve("config.json"), elsewhere.resolve("config.json").toAbsolutePath());
    assertThatThrownBy(() -> Qwen25VlEngine.open(EngineOptions.of(model2).withCpu()))
        .isInstanceOf(ModelLoadException.class).hasMessageContaining("config.json")
        .hasMessageContaining("outside the model directory");
  }

  @Test
  void aLinkInsideTheModelDirectory_isFollowed(@TempDir Path dir) throws Exception {
    Path model = HostileModels.copyTiny(dir.resolve("model"));
    Files.move(model.resolve("model.safetensors"), model.resolve("weights.bin"));
    Files.createSymbolicLink(model.resolve("model.safetensors"), Path.of("weights.bin"));
    try (WeightStore store = WeightStore.open(model)) {
      assertThat(store.names()).isEqualTo(tinyTensorNames());
    }
  }

  @Test
  void hubCacheSnapshot_withLinksIntoItsBlobs_loadsAndRuns(@TempDir Path dir) throws Exception {
    Path repo = dir.resolve("hub").resolve("models--guard--tiny");
    Path blobs = Files.createDirectories(repo.resolve("blobs"));
    Path snapshot = Files.createDirectories(repo.resolve("snapshots").resolve("0123456789abcdef0123456789abcdef01234567"));
    int i = 0;
    try (var files = Files.list(Fixtures.tinyModel())) {
      for (Path f : (Iterable<Path>) files::iterator) {
        String blob = "blob" + i++;
        Files.copy(f, blobs.resolve(blob));
        Files.createSymbolicLink(snapshot.resolve(f.getFileName().toString()), Path.of("..", "..", "blobs", blob));
      }
    }
    try (Qwen25VlEngine engine = Qwen25VlEngine.open(EngineOptions.of(snapshot).withCpu())) {
      assertThat(engine.generate(EngineRequest.of("You audit traces.", List.of(PromptPart.text("hello")), 2))
          .generatedTokenIds()).hasSize(2);
    }
    // but a snapshot link that leaves the repository's blobs/ is refused like any other
    Path outside = Files.createDirectory(dir.resolve("outside"));
    Files.copy(Fixtures.tinyModel().resolve("config.json"), outside.resolve("config.json"));
    Files.delete(snapshot.resolve("config.json"));
    Files.createSymbolicLink(snapshot.resolve("config.json"), Path.of("..", "..", "..", "..", "outside", "config.json"));
    assertThatThrownBy(() -> Qwen25VlEngine.open(EngineOptions.of(snapshot).withCpu()))
        .isInstanceOf(ModelLoadException.class).hasMessageContaining("outside the model directory");
  }

  @Test
  void errorMessages_neverQuoteTheBytesOfTheFileTheyReject(@TempDir Path dir) throws Exception {
    byte[] secret = SECRET.getBytes(StandardCharsets.UTF_8);
    long firstEightBytes = ByteBuffer.wrap(secret, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
    Path model = HostileModels.copyTiny(dir.resolve("model"));

    HostileModels.replace(model.resolve("model.safetensors"), secret);
    assertThatThrownBy(() -> WeightStore.open(model)).isInstanceOf(ModelLoadException.class)
        .satisfies(e -> assertNoSecret(e, firstEightBytes));

    // a header length that fits, followed by a header that is not JSON
    HostileModels.replace(model.resolve("model.safetensors"),
        HostileModels.safetensors(secret, new byte[0]));
    assertThatThrownBy(() -> WeightStore.open(model)).isInstanceOf(ModelLoadException.class)
        .hasMessageContaining("unparseable").satisfies(e -> assertNoSecret(e, firstEightBytes));

    for (String file : new String[] {"config.json", "tokenizer.json"}) {
      Path other = HostileModels.copyTiny(dir.resolve("model-" + file));
      HostileModels.replace(other.resolve(file), secret);
      assertThatThrownBy(() -> Qwen25VlEngine.open(EngineOptions.of(other).withCpu()))
          .isInstanceOf(ModelLoadException.class).hasMessageContaining(file)
          .satisfies(e -> assertNoSecret(e, firstEightBytes));
    }
  }

  private static void assertNoSecret(Throwable e, long firstEightBytes) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      assertThat(String.valueOf(t.getMessage())).doesNotContain("TOPSECRET").doesNotContain("hunter2")
          .doesNotContain(Long.toString(firstEightBytes)).doesNotContain(Long.toUnsignedString(firstEightBytes));
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"", ".", "..", "../x.safetensors", "a/b.safetensors", "/etc/passwd", "..\\x",
      "C:x.safetensors", "nul\u0000.safetensors", "line\nbreak"})
  void fileNames_mustBePlainNamesInTheDirectory(String name) {
    assertThatThrownBy(() -> ModelDirectory.requirePlainName(name, "shard"))
        .isInstanceOf(ModelLoadException.class).hasMessageStartingWith("shard is not a plain file name");
  }

  @ParameterizedTest
  @ValueSource(strings = {"model.safetensors", "model-00001-of-00002.safetensors", "..hidden", "a b.json"})
  void plainNames_areAccepted(String name) {
    assertThat(ModelDirectory.requirePlainName(name, "shard")).isEqualTo(name);
  }

  @Test
  void tooLongAName_isRefused() {
    assertThatThrownBy(() -> ModelDirectory.requirePlainName("x".repeat(256), "shard"))
        .isInstanceOf(ModelLoadException.class);
  }
}
