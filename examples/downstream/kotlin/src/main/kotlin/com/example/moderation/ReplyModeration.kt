package com.example.moderation

import io.guardtrace.GuardTrace
import io.guardtrace.QtaTrace
import kotlinx.coroutines.future.await

/** The application code under test: withholds a reply the guard flags, from a coroutine. */
class ReplyModeration(private val guard: GuardTrace) {
    suspend fun reply(question: String, thinking: String, answer: String): String {
        val verdict = guard.detectAsync(QtaTrace.of(question, thinking, answer)).await()
        return if (verdict.level().isUnsafe) "Sorry, I can't help with that." else answer
    }
}
