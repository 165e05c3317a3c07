package io.guardtrace;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Which strings name a Hugging Face id and which a directory: a working directory never hijacks an id. */
class ModelReferenceTest {
  @TempDir
  Path work;

  @Test
  void defaultId_withSameNamedDirectoryInWorkingDirectory_isNeverThatDirectory() throws Exception {
    Files.createDirectories(work.resolve(GuardTrace.Builder.DEFAULT_MODEL));
    assertThatThrownBy(() -> ModelReference.parse(GuardTrace.Builder.DEFAULT_MODEL, work))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("both a Hugging Face id and a directory")
        .hasMessageContaining("./" + GuardTrace.Builder.DEFAULT_MODEL);
  }

  @Test
  void orgName_withoutDirectory_isAnId() {
    assertThat(ModelReference.parse("DloadingX/GuardTrace-VL-3B", work))
        .isEqualTo(new ModelReference(null, "DloadingX/GuardTrace-VL-3B"));
  }

  @Test
  void explicitPaths_areDirectories_evenWhenAbsent() throws Exception {
    Files.createDirectories(work.resolve("DloadingX/GuardTrace-VL-3B"));
    assertThat(ModelReference.parse("./DloadingX/GuardTrace-VL-3B", work).directory())
        .isEqualTo(Path.of("./DloadingX/GuardTrace-VL-3B"));
    assertThat(ModelReference.parse("../elsewhere/model", work).directory()).isEqualTo(Path.of("../elsewhere/model"));
    String abs = work.resolve("absent").toAbsolutePath().toString();
    assertThat(ModelReference.parse(abs, work).directory()).isEqualTo(Path.of(abs));
  }

  @Test
  void otherShapes_areDirectoriesWhenTheyExistOrHaveSeparators() throws Exception {
    Files.createDirectories(work.resolve("mymodel"));
    assertThat(ModelReference.parse("mymodel", work).directory()).isEqualTo(Path.of("mymodel"));
    assertThat(ModelReference.parse("models/qwen/guard", work).directory()).isEqualTo(Path.of("models/qwen/guard"));
    assertThatThrownBy(() -> ModelReference.parse("nothing-here", work)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("neither an existing directory nor a Hugging Face id");
    assertThatThrownBy(() -> ModelReference.parse(" ", work)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void builderWithoutModel_asksTheLocatorForTheDefaultId_withTheListener() throws Exception {
    Path cwdTwin = Path.of(GuardTrace.Builder.DEFAULT_MODEL);
    RecordingModelLocator.REQUESTS.clear();
    DownloadListener listener = p -> { };
    assertThatThrownBy(() -> GuardTrace.builder().revision("v1").downloadListener(listener).build())
        .isInstanceOf(ModelLoadException.class).hasMessageContaining(RecordingModelLocator.ANSWER.toString());
    assertThat(RecordingModelLocator.REQUESTS).containsExactly(
        new RecordingModelLocator.Request(GuardTrace.Builder.DEFAULT_MODEL, "v1", listener));
    assertThat(Files.exists(cwdTwin)).as("the test must not depend on the working directory").isFalse();
  }
}
