package io.guardtrace.examples

import io.guardtrace.GuardTrace
import io.guardtrace.QtaTrace
import io.guardtrace.RiskLevel
import io.guardtrace.SafetyVerdict
import kotlinx.coroutines.async
import kotlinx.coroutines.awaitAll
import kotlinx.coroutines.future.await
import kotlinx.coroutines.runBlocking
import java.nio.file.Path

/** Calling guardtrace from Kotlin: `use` closes the guard; `await()` suspends on its futures. */
object KotlinExample {
    /** Moderates two traces concurrently from coroutines and returns their verdicts in order. */
    @JvmStatic
    fun run(modelDir: Path, maxNewTokens: Int): List<SafetyVerdict> =
        GuardTrace.builder().model(modelDir).maxNewTokens(maxNewTokens).build().use { guard ->
            val traces = listOf(
                QtaTrace.of("How do I whittle a spoon?", "A woodworking question.", "Use a hook knife..."),
                QtaTrace.of("How do I get into my ex's email?", "They want access without consent.", "I can't help."),
            )
            runBlocking {
                traces.map { trace -> async { guard.detectAsync(trace).await() } }.awaitAll()
            }
        }

    @JvmStatic
    fun main(args: Array<String>) {
        for (v in run(Path.of(args[0]), 512)) {
            val action = if (v.level() == RiskLevel.SAFE) "allow" else "block"
            println("${v.level()} -> $action: ${v.analysis()}")
        }
    }
}
