package io.guardtrace.models.engine;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import io.guardtrace.EngineException;
import io.guardtrace.GuardTraceClosedException;
import io.guardtrace.GuardTraceException;
import io.guardtrace.InvalidInputException;
import io.guardtrace.ModelLoadException;
import io.guardtrace.PromptTooLongException;
import io.guardtrace.models.config.GenerationSettings;
import io.guardtrace.models.config.ModelConfig;
import io.guardtrace.models.config.ModelDirectory;
import io.guardtrace.models.image.ImageProcessorConfig;
import io.guardtrace.models.text.ChatPrompt;
import io.guardtrace.models.text.DecodeBatcher;
import io.guardtrace.models.text.Generator;
import io.guardtrace.models.text.KvCache;
import io.guardtrace.models.text.QwenTokenizer;
import io.guardtrace.models.text.RopeIndex;
import io.guardtrace.models.text.TextDecoder;
import io.guardtrace.models.vision.VisionConfig;
import io.guardtrace.models.weights.TensorLoader;
import io.guardtrace.models.weights.WeightStore;
import io.guardtrace.spi.Engine;
import io.guardtrace.spi.EngineOptions;
import io.guardtrace.spi.EngineRequest;
import io.guardtrace.spi.EngineResult;
import io.guardtrace.spi.EngineSession;
import io.guardtrace.spi.PromptPart;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Qwen2.5-VL engine: tokenizer, chat template, image preprocessing, vision tower and text decoder of one
 * checkpoint, on one device, in one precision. Thread-safe: requests run concurrently, each with its own
 * native memory scope, sharing the read-only weights. {@link #close()} waits for running requests.
 */
public final class Qwen25VlEngine implements Engine {
  private static final Logger LOG = LoggerFactory.getLogger(Qwen25VlEngine.class);
  private static final String GENERATION_CONFIG = "generation_config.json";

  private final Path dir;
  private final ModelConfig config;
  private final GenerationSettings generation;
  private final QwenTokenizer tokenizer;
  private final WeightStore store;
  private final TextDecoder decoder;
  private final Generator generator;
  private final @Nullable DecodeBatcher batcher;
  private final VisionPath vision;
  private final String identity;
  private final Device device;
  private final int[] judgmentIds;
  private final @Nullable PrefixCache prefixCache;
  private final ReadWriteLock lifecycle = new ReentrantReadWriteLock();
  private volatile boolean closed;

  private Qwen25VlEngine(Path dir, ModelConfig config, GenerationSettings generation, QwenTokenizer tokenizer,
      WeightStore store, TextDecoder decoder, @Nullable DecodeBatcher batcher, VisionPath vision, String identity,
      Device device, boolean prefixCache) {
    this.dir = dir;
    this.config = config;
    this.generation = generation;
    this.tokenizer = tokenizer;
    this.store = store;
    this.decoder = decoder;
    this.batcher = batcher;
    this.generator = new Generator(decoder, batcher);
    this.vision = vision;
    this.identity = identity;
    this.device = device;
    Map<String, Integer> ids = tokenizer.singleTokenIds("0", "1", ".", "5");
    this.judgmentIds = new int[] {ids.get("0"), ids.get("1"), ids.get("."), ids.get("5")};
    // last: nothing after it can fail, so a failing constructor leaves no native memory of its own behind
    this.prefixCache = prefixCache ? new PrefixCache(device, decoder, generator) : null;
  }

  /**
   * Loads the checkpoint in {@code options.modelDir()}. Every file is looked up through
   * {@link ModelDirectory} (plain names, inside the directory, regular files only) and every configuration
   * value is range-checked before any weight is read; a load that fails part-way frees all it allocated.
   *
   * @param options the model directory and settings
   * @return the loaded engine
   * @throws ModelLoadException naming the file, field or tensor at fault
   */
  public static Qwen25VlEngine open(EngineOptions options) {
    long start = System.nanoTime();
    io.guardtrace.models.DjlDefaults.apply();
    ModelDirectory files = ModelDirectory.of(options.modelDir());
    Path dir = files.path();
    Path configFile = files.file("config.json");
    ModelConfig config = ModelConfig.load(configFile);
    VisionConfig visionConfig = VisionConfig.fromJson(config.visionConfig(), configFile);
    ImageProcessorConfig imageConfig = ImageProcessorConfig.load(files.file("preprocessor_config.json"))
        .withPixels(options.minPixels(), options.maxPixels());
    VisionPath.requireConsistent(imageConfig, visionConfig, config);
    GenerationSettings generation = GenerationSettings.load(
        files.has(GENERATION_CONFIG) ? files.file(GENERATION_CONFIG) : null, configFile, config.text().vocabSize());
    Device device = DeviceSelector.select(options.device());
    TensorLoader.Precision precision = Precisions.select(options.dtype(), device);
    boolean int8Decode = Precisions.int8Decode(options.dtype());
    if (options.threads() > 0) {
      ai.djl.pytorch.jni.JniUtils.setNumThreads(options.threads());
    }
    QwenTokenizer tokenizer = QwenTokenizer.load(files.file("tokenizer.json"));
    WeightStore store = null;
    TensorLoader textLoader = null;
    TextDecoder decoder = null;
    DecodeBatcher batcher = null;
    VisionPath vision = null;
    try {
      requireTokenizerMatches(tokenizer, config);
      store = WeightStore.open(files);
      textLoader = new TensorLoader(device, precision);
      // the decoder owns textLoader once built; if its constructor fails part-way, closing textLoader frees
      // what was loaded
      decoder = new TextDecoder(config.text(), store, textLoader, int8Decode);
      textLoader.finishLoading();
      batcher = DecodeBatcher.create(decoder, decodeBatchSetting());
      vision = VisionPath.open(imageConfig, visionConfig, store, device, precision, options);
      // verdicts of int8 decode weights differ from bfloat16's, so they are cached apart
      String identity = "qwen2_5_vl:" + dir.toAbsolutePath().normalize() + ":" + precision
          + (int8Decode ? "+int8-decode" : "") + ":" + vision.identity();
      Qwen25VlEngine engine = new Qwen25VlEngine(dir, config, generation, tokenizer, store, decoder, batcher,
          vision, identity, device, options.prefixCache());
      LOG.info("loaded model {} on {} ({}) in {} ms; decode kernels: {}", dir, device, precision,
          (System.nanoTime() - start) / 1_000_000, decoder.decodeKernels());
      return engine;
    } catch (RuntimeException | Error e) {
      // free in reverse order of allocation; a failure while freeing must not hide the load's own
      closeAfterFailure(e, vision, batcher, decoder, textLoader, store, tokenizer);
      throw e;
    }
  }

  private static void closeAfterFailure(Throwable failure, @Nullable AutoCloseable... parts) {
    for (AutoCloseable part : parts) {
      if (part == null) {
        continue;
      }
      try {
        part.close();
      } catch (Exception | Error e) {
        failure.addSuppressed(e);
      }
    }
  }

  private static void requireTokenizerMatches(QwenTokenizer tokenizer, ModelConfig config) {
    int vocab = config.text().vocabSize();
    if (tokenizer.maxTokenId() >= vocab) {
      throw new ModelLoadException("tokenizer.json has token id " + tokenizer.maxTokenId() + " but config.json's"
          + " vocab_size is " + vocab + ": the embedding has no row for it");
    }
    int pad = tokenizer.addedTokenId(QwenTokenizer.IMAGE_PAD);
    if (pad != config.imageTokenId()) {
      throw new ModelLoadException("tokenizer.json maps " + QwenTokenizer.IMAGE_PAD + " to " + pad
          + " but config.json's image_token_id is " + config.imageTokenId());
    }
    for (String t : new String[] {QwenTokenizer.IM_START, QwenTokenizer.IM_END, QwenTokenizer.VISION_START,
        QwenTokenizer.VISION_END}) {
      tokenizer.addedTokenId(t);
    }
  }

  @Override
  public String identity() {
    return identity;
  }

  @Override
  public int contextLength() {
    return config.text().maxPositionEmbeddings();
  }

  @Override
  public int countTokens(String text) {
    return tokenizer.encodeText(text).length;
  }

  @Override
  public int maxTokenChars() {
    return tokenizer.maxTokenChars();
  }

  @Override
  public int countPromptTokens(String systemPrompt, List<PromptPart> userParts) {
    List<ChatPrompt.Part> parts = new ArrayList<>();
    for (PromptPart p : userParts) {
      if (p instanceof PromptPart.Text t) {
        parts.add(new ChatPrompt.TextPart(t.text()));
      } else if (p instanceof PromptPart.Image img) {
        parts.add(new ChatPrompt.ImagePart(vision.tokenCount(img.image())));
      }
    }
    return ChatPrompt.render(systemPrompt, parts).encode(tokenizer).length;
  }

  /**
   * The model directory.
   *
   * @return the model directory
   */
  public Path modelDir() {
    return dir;
  }

  /**
   * The device the model runs on.
   *
   * @return the device the model runs on
   */
  public Device device() {
    return device;
  }

  /**
   * The most concurrent generations whose decode steps run as one pass over the weights, or 1 where each
   * runs alone: batching is off ({@code -Dguardtrace.decodeBatch=1}) or not bit-identical to single steps on
   * this machine and precision ({@link DecodeBatcher}).
   *
   * @return the most sequences per decode step
   */
  public int decodeBatchSize() {
    return batcher != null ? batcher.maxBatch() : 1;
  }

  /**
   * Which kernels run single-token decode steps.
   *
   * @return guardtrace's Java Vector API kernels ({@code "java-vector (...)"}) or libtorch's, with the reason
   */
  public String decodeKernels() {
    return decoder.decodeKernels();
  }

  /**
   * The decode batcher, when batching is on (statistics for benchmarks and tests).
   *
   * @return the batcher, or null
   */
  public @Nullable DecodeBatcher decodeBatcher() {
    return batcher;
  }

  /**
   * {@code -Dguardtrace.decodeBatch=N}: the most sequences per batched decode step (default 8; 1 turns
   * batching off).
   */
  private static int decodeBatchSetting() {
    String value = System.getProperty("guardtrace.decodeBatch", "8");
    try {
      return Integer.parseInt(value.trim());
    } catch (NumberFormatException e) {
      throw new ModelLoadException("-Dguardtrace.decodeBatch must be a whole number, was '" + value + "'");
    }
  }

  /**
   * Bytes of weights a decode step reads (see {@link TextDecoder#weightBytesPerToken}).
   *
   * @return the bytes read per decode step
   */
  public long weightBytesPerToken() {
    return decoder.weightBytesPerToken();
  }

  @Override
  public EngineResult generate(EngineRequest request) {
    return guarded(() -> run(request));
  }

  private EngineResult run(EngineRequest request) {
    return run(request, null);
  }

  /**
   * Runs one request; with a {@code session}, reuses its cached prompt prefix and image embeddings and leaves
   * the prompt's keys and values in its cache.
   */
  EngineResult run(EngineRequest request, @Nullable IncrementalSession session) {
    long t0 = System.nanoTime();
    try (NDManager m = NDManager.newBaseManager(device, "PyTorch")) {
      List<String> hashes = imageHashes(request.userParts());
      boolean reuseImages = session != null && session.sameImages(hashes);
      VisionPath.Encoded images = reuseImages ? session.images() : vision.preprocess(request.userParts());
      long t1 = System.nanoTime();
      List<ChatPrompt.Part> parts = new ArrayList<>();
      int image = 0;
      for (PromptPart p : request.userParts()) {
        if (p instanceof PromptPart.Text t) {
          parts.add(new ChatPrompt.TextPart(t.text()));
        } else {
          parts.add(new ChatPrompt.ImagePart(images.tokenCount(image++)));
        }
      }
      ChatPrompt prompt = ChatPrompt.render(request.systemPrompt(), parts);
      long[] ids = prompt.encode(tokenizer);
      int limit = Math.min(contextLength(), Integer.MAX_VALUE - request.maxNewTokens());
      if (ids.length + request.maxNewTokens() > limit) {
        throw new PromptTooLongException(ids.length + request.maxNewTokens(), limit,
            "prompt of " + ids.length + " tokens plus " + request.maxNewTokens()
                + " new tokens exceeds the model's context length");
      }
      NDArray imageEmbeds;
      if (reuseImages) {
        imageEmbeds = session.imageEmbeds();
      } else if (session != null) {
        imageEmbeds = session.replaceImages(images, hashes, manager -> vision.encode(manager, images));
      } else {
        imageEmbeds = vision.encode(m, images);
      }
      RopeIndex rope = RopeIndex.compute(ids, config.imageTokenId(), images.grids(), vision.mergeSize());
      KvCache systemPrefix = prefixCache == null ? null : prefixCache.get(prompt.encodeSystemPrefix(tokenizer), ids);
      int from = session == null ? 0 : session.prepare(ids, request.maxNewTokens(), systemPrefix);
      long[] tailIds = from == 0 ? ids : Arrays.copyOfRange(ids, from, ids.length);
      NDArray embeds = decoder.embed(m, tailIds);
      if (imageEmbeds != null) {
        scatterImages(embeds, ids, from, imageEmbeds);
      }
      long t2 = System.nanoTime();
      Set<Integer> eos = new HashSet<>(generation.eosTokenIds());
      List<Integer> generated = new ArrayList<>();
      long[] firstTokenAt = {0};
      StringBuilder text = new StringBuilder();
      JudgmentTracker judgment =
          new JudgmentTracker(judgmentIds[0], judgmentIds[1], judgmentIds[2], judgmentIds[3]);
      Generator.StepListener listener = (step, token, logits, lookAhead) -> {
        if (step == 0) {
          firstTokenAt[0] = System.nanoTime();
        }
        String before = text.toString();
        generated.add(token);
        if (judgment.onStep(before, token, logits)) {
          int[] la = judgment.lookAheadIds();
          float[] p = lookAhead.probe(new int[] {la[0], la[1]}, new int[] {la[1], la[2]});
          judgment.lookAhead(p[0], p[1]);
        }
        String decoded = tokenizer.decode(generated.stream().mapToLong(Integer::longValue).toArray());
        String piece = "";
        if (decoded.startsWith(before) && !decoded.endsWith("\uFFFD")) {
          piece = decoded.substring(before.length());
          text.append(piece);
        }
        request.listener().onToken(token, piece);
        return true;
      };
      Generator.Cancelled cancelled = () -> request.cancellation().isCancelled();
      if (session != null) {
        try {
          generator.continueFrom(m, session.cache(), embeds, ids, rope, request.maxNewTokens(), eos,
              request.ignoreEos(), generation.repetitionPenalty(), listener, cancelled);
        } finally {
          session.keepPrompt(ids);
        }
      } else {
        generator.generate(m, embeds, ids, rope, systemPrefix, request.maxNewTokens(), eos, request.ignoreEos(),
            generation.repetitionPenalty(), listener, cancelled);
      }
      long t3 = System.nanoTime();
      long[] out = generated.stream().mapToLong(Integer::longValue).toArray();
      boolean stopped = !generated.isEmpty() && eos.contains(generated.get(generated.size() - 1))
          && !request.ignoreEos();
      long firstAt = firstTokenAt[0] == 0 ? t3 : firstTokenAt[0];
      return new EngineResult(tokenizer.decode(out), generated, ids.length,
          stopped ? EngineResult.FinishReason.EOS : EngineResult.FinishReason.LENGTH,
          t1 - t0, t2 - t1, firstAt - t2, t3 - firstAt, judgment.result());
    }
  }

  private static List<String> imageHashes(List<PromptPart> parts) {
    List<String> out = new ArrayList<>();
    for (PromptPart p : parts) {
      if (p instanceof PromptPart.Image img) {
        out.add(img.image().sha256());
      }
    }
    return out;
  }

  /**
   * Writes image embeddings over the {@code <|image_pad|>} rows, in order (the reference's masked_scatter),
   * into {@code embeds}, which holds the rows of {@code ids} from {@code from} on.
   */
  private void scatterImages(NDArray embeds, long[] ids, int from, NDArray imageEmbeds) {
    int row = 0;
    int total = Math.toIntExact(imageEmbeds.getShape().get(0));
    int i = 0;
    while (i < ids.length) {
      if (ids[i] == config.imageTokenId()) {
        int j = i;
        while (j < ids.length && ids[j] == config.imageTokenId()) {
          j++;
        }
        int len = j - i;
        if (row + len > total) {
          throw new EngineException("image features and image tokens do not match: " + total + " features");
        }
        int a = Math.max(i, from);
        if (a < j) {
          try (NDArray src = imageEmbeds.get("{}:{}, :", row + (a - i), row + len)) {
            embeds.set(new NDIndex("{}:{}, :", a - from, j - from), src);
          }
        }
        row += len;
        i = j;
      } else {
        i++;
      }
    }
    if (row != total) {
      throw new EngineException("image features and image tokens do not match: " + total
          + " features for " + row + " tokens");
    }
  }

  @Override
  public EngineSession openSession() {
    if (closed) {
      throw new GuardTraceClosedException("the engine was closed");
    }
    return new IncrementalSession(this, device, decoder);
  }

  /** Runs {@code body} under the engine's lifecycle read lock (no close while it runs). */
  <T> T guarded(java.util.function.Supplier<T> body) {
    if (!lifecycle.readLock().tryLock()) {
      throw new GuardTraceClosedException("the engine is closing");
    }
    try {
      if (closed) {
        throw new GuardTraceClosedException("the engine was closed");
      }
      return body.get();
    } catch (GuardTraceException e) {
      throw e;
    } catch (OutOfMemoryError e) {
      throw new EngineException("out of memory while generating: " + e.getMessage()
          + " (use smaller images, lower max pixels or a shorter trace)", e);
    } catch (RuntimeException e) {
      throw new EngineException("the engine failed: " + e, e);
    } finally {
      lifecycle.readLock().unlock();
    }
  }

  @Override
  public void close() {
    if (closed) {
      return;
    }
    lifecycle.writeLock().lock();
    try {
      if (closed) {
        return;
      }
      closed = true;
      if (prefixCache != null) {
        prefixCache.close();
      }
      vision.close();
      if (batcher != null) {
        batcher.close();
      }
      decoder.close();
      store.close();
      tokenizer.close();
    } finally {
      lifecycle.writeLock().unlock();
    }
  }
}
