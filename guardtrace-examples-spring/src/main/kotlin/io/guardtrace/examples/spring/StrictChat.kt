package io.guardtrace.examples.spring

import io.guardtrace.GuardTrace
import io.guardtrace.RiskLevel
import io.guardtrace.SafetyVerdict
import io.guardtrace.spring.ai.GuardTraceAdvisor
import io.guardtrace.spring.ai.OnUnsafe
import org.springframework.ai.chat.client.ChatClient
import org.springframework.ai.chat.model.ChatModel

/**
 * A stricter client built by hand (the README's Kotlin snippet): it also blocks POTENTIALLY_HARMFUL and
 * fails with UnsafeResponseException instead of refusing.
 */
class StrictChat(model: ChatModel, guard: GuardTrace) {
    private val client = ChatClient.builder(model)
        .defaultAdvisors(
            GuardTraceAdvisor.builder(guard)
                .threshold(RiskLevel.POTENTIALLY_HARMFUL)
                .onUnsafe(OnUnsafe.THROW)
                .build()
        )
        .build()

    /** The answer and the guard's verdict on the whole exchange. */
    fun ask(question: String): Pair<String, SafetyVerdict> {
        val response = client.prompt().user(question).call().chatResponse()!!
        val verdict: SafetyVerdict = response.metadata.get(GuardTraceAdvisor.VERDICT_KEY)!!
        return response.result!!.output.text.orEmpty() to verdict
    }
}
