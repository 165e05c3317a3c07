package io.guardtrace.examples
fun probe(): String = io.guardtrace.TraceImage.ofBytes(byteArrayOf(1)).sha256()
