package io.guardtrace.examples

import io.guardtrace.GuardTrace
import io.guardtrace.QtaTrace
import io.guardtrace.RiskLevel
import io.guardtrace.SafetyVerdict
import io.guardtrace.testing.ScriptedGuard
import java.nio.file.Path
import kotlinx.coroutines.future.await
import org.junit.jupiter.api.Test

/** The README's Kotlin snippets, as written there, so that they keep compiling and running. */
class ReadmeKotlinSnippets {
    // "Use it" (compiled only: it needs the real model)
    @Suppress("unused")
    suspend fun isSafe(question: String, thinking: String, answer: String): Boolean =
        GuardTrace.builder().model(Path.of("models/GuardTrace-VL-3B")).build().use { guard ->
            val v: SafetyVerdict = guard.detectAsync(QtaTrace.of(question, thinking, answer)).await()
            v.isSafe
        }

    // "Testing your integration"
    @Test
    fun testingYourIntegration() {
        val guard = ScriptedGuard.builder()
            .whenever({ it.thinking().contains("detonator") }, RiskLevel.HARMFUL, "explains a detonator")
            .otherwise(RiskLevel.SAFE, "harmless")
            .build()
        guard.use { check(it.detect(QtaTrace.of("q", "wire the detonator", "no")).level() == RiskLevel.HARMFUL) }
    }
}
