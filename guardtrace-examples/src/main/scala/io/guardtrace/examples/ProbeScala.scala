package io.guardtrace.examples
object ProbeScala { def probe(): String = io.guardtrace.TraceImage.ofBytes(Array[Byte](1)).sha256() }
