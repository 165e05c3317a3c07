package io.guardtrace.spring.ai;

import io.guardtrace.InvalidImageException;
import io.guardtrace.TraceImage;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.springframework.ai.chat.messages.UserMessage;
import org.springframework.ai.chat.prompt.Prompt;
import org.springframework.ai.content.Media;

/**
 * The question part of a trace: the prompt's last user message, its text and its images.
 *
 * @param text the message text (empty when it has none)
 * @param images the image media, as bytes
 */
record UserQuestion(String text, List<TraceImage> images) {
  /**
   * The last user message of {@code prompt}. Image media given as bytes or as a {@code data:} URI are judged
   * with the text; other media types (audio, documents) are not something the guard can judge and are left
   * out; an image given only by URL fails with {@link InvalidImageException}, because the guard does not
   * fetch URLs and judging the text alone would pass an unseen image.
   */
  static UserQuestion of(Prompt prompt) {
    UserMessage message = prompt.getUserMessage();
    String text = message.getText();
    List<TraceImage> images = new ArrayList<>();
    for (Media media : message.getMedia()) {
      if (!"image".equals(media.getMimeType().getType())) {
        continue;
      }
      images.add(image(media));
    }
    return new UserQuestion(text == null ? "" : text, images);
  }

  private static TraceImage image(Media media) {
    Object data = media.getData();
    if (data instanceof byte[] bytes) {
      return TraceImage.ofBytes(bytes);
    }
    String s = String.valueOf(data);
    if (s.startsWith("data:")) {
      int comma = s.indexOf(',');
      if (comma > 0 && s.substring(0, comma).endsWith(";base64")) {
        try {
          return TraceImage.ofBytes(Base64.getDecoder().decode(s.substring(comma + 1)));
        } catch (IllegalArgumentException e) {
          throw new InvalidImageException(media.getName(), "its data: URI is not valid base64", e);
        }
      }
    }
    throw new InvalidImageException(media.getName(), "it is given by URL (" + abbreviate(s) + "); the guard "
        + "does not fetch URLs, so pass the image's bytes (Media.builder().data(byte[])) or a base64 data: URI");
  }

  private static String abbreviate(String s) {
    return s.length() > 60 ? s.substring(0, 57) + "..." : s;
  }
}
