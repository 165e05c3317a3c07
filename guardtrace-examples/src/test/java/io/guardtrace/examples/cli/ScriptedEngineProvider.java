package io.guardtrace.examples.cli;

import io.guardtrace.EngineException;
import io.guardtrace.spi.Engine;
import io.guardtrace.spi.EngineOptions;
import io.guardtrace.spi.EngineProvider;
import io.guardtrace.spi.EngineRequest;
import io.guardtrace.spi.EngineResult;
import io.guardtrace.spi.PromptPart;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A test engine whose "model" writes what its directory's {@code output.txt} says, so CLI tests control the
 * model's output exactly (escape sequences included). A directory is this engine's when its config.json has
 * {@code "model_type": "guardtrace-test-scripted"}; see {@link #write}.
 */
public final class ScriptedEngineProvider implements EngineProvider {
  static final String MODEL_TYPE = "guardtrace-test-scripted";

  /** Used by ServiceLoader. */
  public ScriptedEngineProvider() {}

  /** Writes a model directory whose model answers {@code output} to every request. */
  static Path write(Path dir, String output) throws IOException {
    Files.createDirectories(dir);
    Files.writeString(dir.resolve("config.json"), "{\"model_type\": \"" + MODEL_TYPE + "\"}");
    Files.writeString(dir.resolve("output.txt"), output, StandardCharsets.UTF_8);
    return dir;
  }

  @Override
  public String name() {
    return "scripted test engine";
  }

  @Override
  public boolean supports(EngineOptions options) {
    try {
      return Files.readString(options.modelDir().resolve("config.json")).contains(MODEL_TYPE);
    } catch (IOException e) {
      return false;
    }
  }

  @Override
  public Engine open(EngineOptions options) {
    try {
      return new Scripted(options.modelDir(), Files.readString(options.modelDir().resolve("output.txt")));
    } catch (IOException e) {
      throw new EngineException("cannot read output.txt", e);
    }
  }

  /** One character per token; images are read (as a real engine reads their headers) and count 100. */
  private record Scripted(Path dir, String output) implements Engine {
    @Override
    public String identity() {
      return "scripted:" + dir;
    }

    @Override
    public int contextLength() {
      return 1 << 20;
    }

    @Override
    public int countTokens(String text) {
      return text.length();
    }

    @Override
    public int maxTokenChars() {
      return 1;
    }

    @Override
    public int countPromptTokens(String systemPrompt, List<PromptPart> userParts) {
      int n = systemPrompt.length();
      for (PromptPart p : userParts) {
        if (p instanceof PromptPart.Image i) {
          i.image().size(); // reads the image: a missing one fails here, as with the real engine
          n += 100;
        } else {
          n += ((PromptPart.Text) p).text().length();
        }
      }
      return n;
    }

    @Override
    public EngineResult generate(EngineRequest request) {
      List<Integer> ids = new ArrayList<>();
      output.chars().forEach(ids::add);
      return new EngineResult(output, ids, countPromptTokens(request.systemPrompt(), request.userParts()),
          EngineResult.FinishReason.EOS, 0, 0, 0, 0, null);
    }

    @Override
    public void close() {}
  }
}
