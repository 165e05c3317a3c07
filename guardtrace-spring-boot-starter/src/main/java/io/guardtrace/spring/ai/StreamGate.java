package io.guardtrace.spring.ai;

import io.guardtrace.SafetyVerdict;
import io.guardtrace.TraceMonitor;
import java.util.ArrayList;
import java.util.List;
import java.util.function.ToIntFunction;
import org.jspecify.annotations.Nullable;
import org.springframework.ai.chat.client.ChatClientRequest;
import org.springframework.ai.chat.client.ChatClientResponse;
import org.springframework.ai.chat.messages.AssistantMessage;
import org.springframework.ai.chat.model.ChatResponse;
import org.springframework.ai.chat.model.Generation;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * Holds a streamed response back until the guard has checked it (see {@link GuardTraceAdvisor}). One per
 * stream; its methods are called one at a time by {@code concatMap}, so its state needs no lock.
 */
final class StreamGate {
  private final GuardTraceAdvisor advisor;
  private final TraceMonitor monitor;
  private final ToIntFunction<String> tokens;
  private final int checkEveryTokens;
  private final ReasoningParts.Accumulator reasoning = new ReasoningParts.Accumulator();
  private final List<ChatClientResponse> held = new ArrayList<>();
  private final StringBuilder sinceCheck = new StringBuilder();
  private boolean answerStarted;
  private @Nullable ChatClientResponse refusal;
  private @Nullable SafetyVerdict lastVerdict;

  StreamGate(GuardTraceAdvisor advisor, TraceMonitor monitor, ToIntFunction<String> tokens,
      int checkEveryTokens) {
    this.advisor = advisor;
    this.monitor = monitor;
    this.tokens = tokens;
    this.checkEveryTokens = checkEveryTokens;
  }

  Flux<ChatClientResponse> guard(Flux<ChatClientResponse> upstream, ChatClientRequest request) {
    return upstream
        .concatMap(this::onChunk, 1)
        .concatWith(Flux.defer(() -> onComplete(request)))
        // the refusal ends the stream: takeUntil cancels the model's stream behind it
        .takeUntil(r -> r == refusal)
        .doFinally(signal -> monitor.close());
  }

  private Flux<ChatClientResponse> onChunk(ChatClientResponse chunk) {
    ReasoningParts delta = reasoning.next(chunk.chatResponse());
    if (!delta.thinking().isEmpty()) {
      if (answerStarted) {
        // reasoning after the answer began (a provider interleaving them): still judged, as answer text
        monitor.appendAnswer(delta.thinking());
      } else {
        monitor.appendThinking(delta.thinking());
      }
      sinceCheck.append(delta.thinking());
    }
    if (!delta.answer().isEmpty()) {
      answerStarted = true;
      monitor.appendAnswer(delta.answer());
      sinceCheck.append(delta.answer());
    }
    held.add(chunk);
    // a token is at least one character: count tokens only once there can be enough of them
    if (sinceCheck.length() < checkEveryTokens || tokens.applyAsInt(sinceCheck.toString()) < checkEveryTokens) {
      return Flux.empty();
    }
    return check(null);
  }

  private Flux<ChatClientResponse> onComplete(ChatClientRequest request) {
    if (sinceCheck.length() == 0 && lastVerdict != null) {
      // everything was covered by the last check: release what is held (metadata-only chunks) and the verdict
      held.add(verdictChunk(request, lastVerdict));
      return release(lastVerdict, true);
    }
    if (sinceCheck.length() == 0 && held.isEmpty()) {
      return Flux.empty();
    }
    return check(request);
  }

  /** Checks the trace so far off the stream's thread (a check runs the model). */
  private Flux<ChatClientResponse> check(@Nullable ChatClientRequest finalOf) {
    sinceCheck.setLength(0);
    return Mono.fromCallable(monitor::check).subscribeOn(Schedulers.boundedElastic()).flatMapMany(verdict -> {
      lastVerdict = verdict;
      if (advisor.isUnsafe(verdict)) {
        held.clear();
        if (advisor.onUnsafe() == OnUnsafe.THROW) {
          return Flux.error(new UnsafeResponseException(verdict));
        }
        ChatClientResponse r = ChatClientResponse.builder()
            .chatResponse(advisor.refusal(null, verdict))
            .context(GuardTraceAdvisor.VERDICT_KEY, verdict)
            .build();
        refusal = r;
        return Flux.just(r);
      }
      if (finalOf != null && held.isEmpty()) {
        held.add(verdictChunk(finalOf, verdict));
      }
      return release(verdict, finalOf != null);
    });
  }

  private Flux<ChatClientResponse> release(SafetyVerdict verdict, boolean last) {
    List<ChatClientResponse> out = new ArrayList<>(held);
    held.clear();
    if (last && !out.isEmpty()) {
      int i = out.size() - 1;
      ChatClientResponse tail = out.get(i);
      ChatResponse chat = tail.chatResponse();
      ChatResponse marked = chat == null ? null
          : ChatResponse.builder().from(chat).metadata(GuardTraceAdvisor.VERDICT_KEY, verdict).build();
      out.set(i, tail.mutate().chatResponse(marked).context(GuardTraceAdvisor.VERDICT_KEY, verdict).build());
    }
    return Flux.fromIterable(out);
  }

  /** An empty chunk that only carries the final verdict, when no text was left to release with it. */
  private static ChatClientResponse verdictChunk(ChatClientRequest request, SafetyVerdict verdict) {
    ChatResponse chat = ChatResponse.builder().generations(List.of(new Generation(new AssistantMessage(""))))
        .metadata(GuardTraceAdvisor.VERDICT_KEY, verdict).build();
    return ChatClientResponse.builder().chatResponse(chat).context(request.context()).build();
  }
}
