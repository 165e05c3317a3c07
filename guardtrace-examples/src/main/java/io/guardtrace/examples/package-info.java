/** Runnable callers of guardtrace from Java (Kotlin and Scala ones sit beside them). */
package io.guardtrace.examples;
