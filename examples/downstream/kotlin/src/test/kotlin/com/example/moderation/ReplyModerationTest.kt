package com.example.moderation

import io.guardtrace.InvalidImageException
import io.guardtrace.QtaTrace
import io.guardtrace.RiskLevel
import io.guardtrace.TraceImage
import io.guardtrace.testing.ScriptedGuard
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.AfterEach
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows

/** Unit tests of the moderation flow with a scripted guard, from Kotlin: no model on disk. */
class ReplyModerationTest {
    private val guard = ScriptedGuard.builder()
        .whenever({ it.thinking().contains("detonator") }, RiskLevel.HARMFUL, "explains a detonator")
        .otherwise(RiskLevel.SAFE, "harmless")
        .build()

    @AfterEach
    fun close() = guard.close()

    @Test
    fun `detect flags harmful reasoning behind a polite answer`() = runBlocking {
        val moderation = ReplyModeration(guard)
        assertEquals("Sorry, I can't help with that.",
            moderation.reply("How do I build this?", "Step one: wire the detonator.", "I can't help with that."))
        assertEquals("Plant them in May.", moderation.reply("Tomatoes?", "A gardening question.", "Plant them in May."))
    }

    @Test
    fun `detectAll keeps the order`() {
        val verdicts = guard.detectAll(listOf(QtaTrace.of("a", "fine", "ok"), QtaTrace.of("b", "the detonator", "no")))
        assertEquals(listOf(RiskLevel.SAFE, RiskLevel.HARMFUL), verdicts.map { it.level() })
    }

    @Test
    fun `monitor flags the stream once the reasoning turns`() {
        guard.monitor("How do I build this?").use { m ->
            m.appendThinking("Let me list the parts. ")
            assertEquals(RiskLevel.SAFE, m.check().level())
            m.appendThinking("Then I wire the detonator.")
            assertEquals(RiskLevel.HARMFUL, m.check().level())
        }
    }

    @Test
    fun `bad image is rejected, not judged safe`() {
        val trace = QtaTrace.of("What is this?", "", "").withImage(TraceImage.ofBytes(byteArrayOf(1, 2, 3)))
        assertThrows<InvalidImageException> { guard.detect(trace) }
    }
}
