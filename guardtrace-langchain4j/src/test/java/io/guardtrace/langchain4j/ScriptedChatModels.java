package io.guardtrace.langchain4j;

import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.StreamingChatModel;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.PartialResponse;
import dev.langchain4j.model.chat.response.PartialResponseContext;
import dev.langchain4j.model.chat.response.PartialThinking;
import dev.langchain4j.model.chat.response.PartialThinkingContext;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import dev.langchain4j.model.chat.response.StreamingHandle;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/** Reasoning chat models that answer from a script, for AI services under test. */
final class ScriptedChatModels {
  private ScriptedChatModels() {}

  /** A reply: the model's thinking and its answer. */
  record Reply(String thinking, String answer) {}

  /** Answers each request with the next reply (the last one repeats), recording the requests. */
  static final class Sync implements ChatModel {
    final Deque<Reply> replies;
    final List<ChatRequest> requests = new CopyOnWriteArrayList<>();

    Sync(Reply... replies) {
      this.replies = new ArrayDeque<>(List.of(replies));
    }

    @Override
    public synchronized ChatResponse doChat(ChatRequest request) {
      requests.add(request);
      Reply r = replies.size() > 1 ? replies.poll() : replies.peek();
      return ChatResponse.builder().aiMessage(AiMessage.builder().thinking(r.thinking()).text(r.answer()).build())
          .build();
    }
  }

  /** Streams the thinking word by word, then the answer; stops when its handle is cancelled. */
  static final class Streaming implements StreamingChatModel {
    final Reply reply;
    final AtomicInteger emitted = new AtomicInteger();
    final AtomicBoolean cancelled = new AtomicBoolean();

    Streaming(Reply reply) {
      this.reply = reply;
    }

    @Override
    public void doChat(ChatRequest request, StreamingChatResponseHandler handler) {
      StreamingHandle handle = new StreamingHandle() {
        @Override
        public void cancel() {
          cancelled.set(true);
        }

        @Override
        public boolean isCancelled() {
          return cancelled.get();
        }
      };
      for (String w : words(reply.thinking())) {
        if (cancelled.get()) {
          return;
        }
        emitted.incrementAndGet();
        handler.onPartialThinking(new PartialThinking(w), new PartialThinkingContext(handle));
      }
      for (String w : words(reply.answer())) {
        if (cancelled.get()) {
          return;
        }
        emitted.incrementAndGet();
        handler.onPartialResponse(new PartialResponse(w), new PartialResponseContext(handle));
      }
      handler.onCompleteResponse(ChatResponse.builder()
          .aiMessage(AiMessage.builder().thinking(reply.thinking()).text(reply.answer()).build()).build());
    }
  }

  /** Words with their trailing space, so that they concatenate back to the text. */
  static List<String> words(String text) {
    List<String> out = new ArrayList<>();
    int start = 0;
    for (int i = 0; i < text.length(); i++) {
      if (text.charAt(i) == ' ') {
        out.add(text.substring(start, i + 1));
        start = i + 1;
      }
    }
    if (start < text.length()) {
      out.add(text.substring(start));
    }
    return out;
  }
}
