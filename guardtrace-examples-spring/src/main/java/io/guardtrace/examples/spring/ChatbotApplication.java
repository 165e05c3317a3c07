package io.guardtrace.examples.spring;

import io.guardtrace.spring.ai.GuardTraceAdvisor;
import org.springframework.ai.chat.client.ChatClient;
import org.springframework.ai.chat.model.ChatModel;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.context.annotation.Bean;

/**
 * The chatbot backend. The {@code GuardTrace} bean and the {@link GuardTraceAdvisor} bean come from
 * guardtrace-spring-boot-starter (configured in {@code application.properties}); the chat model is
 * {@link DemoReasoningModel}, a scripted stand-in for a real reasoning LLM.
 */
@SpringBootApplication
public class ChatbotApplication {
  /**
   * Runs the backend.
   *
   * @param args Spring Boot arguments
   */
  public static void main(String[] args) {
    SpringApplication.run(ChatbotApplication.class, args);
  }

  /**
   * The stand-in LLM. Replace it with a real provider starter (OpenAI, Ollama, ...).
   *
   * @return the chat model
   */
  @Bean
  public ChatModel chatModel() {
    return new DemoReasoningModel();
  }

  /**
   * The chat client, with the guard's advisor.
   *
   * @param model the chat model
   * @param guard the advisor the starter configured
   * @return the client
   */
  @Bean
  public ChatClient chatClient(ChatModel model, GuardTraceAdvisor guard) {
    return ChatClient.builder(model).defaultAdvisors(guard).build();
  }
}
