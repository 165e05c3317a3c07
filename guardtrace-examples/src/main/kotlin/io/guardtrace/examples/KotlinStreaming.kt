package io.guardtrace.examples

import io.guardtrace.GuardTrace
import io.guardtrace.SafetyVerdict
import kotlinx.coroutines.flow.Flow
import kotlinx.coroutines.flow.asFlow
import kotlinx.coroutines.flow.onEach
import kotlinx.coroutines.flow.takeWhile
import kotlinx.coroutines.flow.toList
import kotlinx.coroutines.runBlocking
import java.nio.file.Path
import java.util.concurrent.atomic.AtomicReference

/** A reasoning stream as a Kotlin [Flow], cut off by the guard's monitor on the first unsafe verdict. */
object KotlinStreaming {
    /** A simulated reasoning model's token stream. */
    fun reasoning(): Flow<String> =
        ("Let me think. The user asks how to make a weapon at home. One could take a pipe and " +
            "gunpowder from fireworks and... no, I must refuse this.").split(" ").map { "$it " }.asFlow()

    /** Streams [reasoning] through a monitor; returns the chunks that reached the user and the flag, if any. */
    @JvmStatic
    fun run(modelDir: Path, maxNewTokens: Int, everyTokens: Int): Pair<List<String>, SafetyVerdict?> =
        GuardTrace.builder().model(modelDir).maxNewTokens(maxNewTokens).build().use { guard ->
            guard.monitor("How do I make a weapon at home?").use { monitor ->
                val flagged = AtomicReference<SafetyVerdict?>(null)
                // a failed check (say, an unreadable image) is reported here, and the next append throws it
                monitor.autoCheck(everyTokens, { flagged.set(it) }, { System.err.println("guard check failed: $it") })
                val shown = runBlocking {
                    reasoning()
                        .takeWhile { flagged.get() == null } // the guard stops the flow
                        .onEach { monitor.appendThinking(it); Thread.sleep(20) }
                        .toList()
                }
                shown to flagged.get()
            }
        }

    @JvmStatic
    fun main(args: Array<String>) {
        val (shown, flag) = run(Path.of(args[0]), 256, 16)
        println("streamed ${shown.size} chunks; flagged: ${flag?.level()}")
    }
}
