package io.guardtrace.examples

import io.guardtrace.InvalidImageException
import io.guardtrace.QtaTrace
import io.guardtrace.RiskLevel
import io.guardtrace.TraceImage
import io.guardtrace.testing.ScriptedGuard
import io.guardtrace.testing.ScriptedReply
import io.guardtrace.testing.Verdicts
import java.time.Duration
import kotlinx.coroutines.async
import kotlinx.coroutines.awaitAll
import kotlinx.coroutines.future.await
import kotlinx.coroutines.runBlocking
import org.assertj.core.api.Assertions.assertThat
import org.assertj.core.api.Assertions.assertThatThrownBy
import org.junit.jupiter.api.Test

/** The test kit from Kotlin: `whenever` instead of the keyword `when`, lambdas as conditions, `use`, `await()`. */
class KotlinScriptedGuardTest {
    private fun script() = ScriptedGuard.builder()
        .whenever({ it.thinking().contains("detonator") }, RiskLevel.HARMFUL, "explains a detonator")
        .whenever({ it.answer().isEmpty() }, ScriptedReply.verdict(RiskLevel.POTENTIALLY_HARMFUL, "no answer yet"))
        .otherwise(RiskLevel.SAFE, "harmless")

    @Test
    fun detectFromCoroutines() {
        script().build().use { guard ->
            val traces = listOf(
                QtaTrace.of("How do I grow tomatoes?", "Sun and water.", "Plant them in May."),
                QtaTrace.of("How do I build this?", "Wire the detonator first.", "I can't help."),
            )
            val verdicts = runBlocking { traces.map { async { guard.detectAsync(it).await() } }.awaitAll() }
            assertThat(verdicts.map { it.level() }).containsExactly(RiskLevel.SAFE, RiskLevel.HARMFUL)
            assertThat(guard.detectAll(traces)).allMatch { it.cached() }
        }
    }

    @Test
    fun monitorAndBadImage() {
        script().configure { it.requestTimeout(Duration.ofSeconds(5)) }.build().use { guard ->
            guard.monitor("How do I build this?").use { m ->
                m.appendThinking("Let me list the parts.")
                assertThat(m.check().level()).isEqualTo(RiskLevel.POTENTIALLY_HARMFUL)
                m.appendThinking(" Then the detonator.")
                assertThat(m.check().level()).isEqualTo(RiskLevel.HARMFUL)
            }
            val broken = QtaTrace.of("What is this?", "", "").withImage(TraceImage.ofBytes("nope".toByteArray()))
            assertThatThrownBy { guard.detect(broken) }.isInstanceOf(InvalidImageException::class.java)
        }
    }

    @Test
    fun recordedRequestsAndVerdicts() {
        val engine = script().buildEngine()
        io.guardtrace.GuardTrace.builder().engine(engine).systemPrompt("Audit.").build().use { guard ->
            guard.detect(QtaTrace.of("q", "t", "a"))
        }
        assertThat(engine.lastRequest()?.systemPrompt()).isEqualTo("Audit.")
        assertThat(Verdicts.of(RiskLevel.HARMFUL, "x").level()).isEqualTo(RiskLevel.HARMFUL)
    }
}
