package io.guardtrace.langchain4j;

import dev.langchain4j.data.image.Image;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.Content;
import dev.langchain4j.data.message.ImageContent;
import dev.langchain4j.data.message.TextContent;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.guardrail.GuardrailRequestParams;
import dev.langchain4j.invocation.InvocationContext;
import dev.langchain4j.memory.ChatMemory;
import dev.langchain4j.model.input.PromptTemplate;
import io.guardtrace.InvalidImageException;
import io.guardtrace.InvalidInputException;
import io.guardtrace.QtaTrace;
import io.guardtrace.TraceImage;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.jspecify.annotations.Nullable;

/** Finds the user message an AI-service call answered, and turns it into a trace's question. */
final class UserQuestions {
  private UserQuestions() {}

  /**
   * The user message of the call. LangChain4j 1.19 builds the output guardrail's parameters before it records
   * the final user message in the invocation context, so this looks, in order, at: the invocation context,
   * a {@link UserMessage} argument of the service method, the chat memory's last user message, and the
   * method's user-message template rendered with its variables plus any {@link Content} arguments.
   *
   * @throws InvalidInputException when none of these yields a message
   */
  static UserMessage of(GuardrailRequestParams params) {
    InvocationContext ic = params.invocationContext();
    if (ic != null && ic.userMessage() != null) {
      return ic.userMessage();
    }
    List<Object> args = ic == null ? List.of() : ic.methodArguments();
    for (Object arg : args) {
      if (arg instanceof UserMessage m) {
        return m;
      }
    }
    ChatMemory memory = params.chatMemory();
    if (memory != null) {
      List<ChatMessage> messages = memory.messages();
      for (int i = messages.size() - 1; i >= 0; i--) {
        if (messages.get(i) instanceof UserMessage m) {
          return m;
        }
      }
    }
    List<Content> contents = new ArrayList<>();
    String template = params.userMessageTemplate();
    if (template != null && !template.isEmpty()) {
      contents.add(TextContent.from(PromptTemplate.from(template).apply(params.variables()).text()));
    }
    for (Object arg : args) {
      if (arg instanceof ImageContent c) {
        contents.add(c);
      } else if (arg instanceof List<?> list) {
        for (Object o : list) {
          if (o instanceof ImageContent c) {
            contents.add(c);
          }
        }
      }
    }
    if (contents.isEmpty()) {
      throw new InvalidInputException("cannot find the user message of this AI-service call, so the guard has "
          + "no question to judge the answer against");
    }
    return UserMessage.from(contents);
  }

  /** A trace of {@code message}'s text and images with the given thinking and answer. */
  static QtaTrace trace(UserMessage message, String thinking, String answer) {
    StringBuilder text = new StringBuilder();
    List<TraceImage> images = new ArrayList<>();
    for (Content c : message.contents()) {
      if (c instanceof TextContent t) {
        if (text.length() > 0) {
          text.append('\n');
        }
        text.append(t.text());
      } else if (c instanceof ImageContent i) {
        images.add(image(i.image()));
      }
    }
    return new QtaTrace(text.toString(), thinking, answer, images);
  }

  /**
   * An image given as base64 data (or a base64 {@code data:} URL). The guard does not fetch URLs: an image
   * it cannot see fails with {@link InvalidImageException} rather than letting the text be judged alone.
   */
  static TraceImage image(Image image) {
    String base64 = image.base64Data();
    String url = image.url() == null ? null : image.url().toString();
    if (base64 == null && url != null && url.startsWith("data:") && url.contains(";base64,")) {
      base64 = url.substring(url.indexOf(',') + 1);
    }
    if (base64 == null) {
      throw new InvalidImageException(describe(url), "it is given by URL; the guard does not fetch URLs, so "
          + "pass the image as base64 data (ImageContent.from(base64, mimeType))");
    }
    try {
      return TraceImage.ofBytes(Base64.getMimeDecoder().decode(base64));
    } catch (IllegalArgumentException e) {
      throw new InvalidImageException("base64 image", "its data is not valid base64", e);
    }
  }

  private static String describe(@Nullable String url) {
    if (url == null) {
      return "image";
    }
    return url.length() > 60 ? url.substring(0, 57) + "..." : url;
  }
}
