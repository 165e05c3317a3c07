package io.guardtrace.models;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.sun.jna.Library;
import com.sun.jna.Native;
import java.util.Locale;
import org.junit.jupiter.api.Test;

/** The process settings guardtrace applies before libtorch loads. */
class DjlDefaultsTest {
  private interface LibC extends Library {
    String getenv(String name);
  }

  @Test
  void apply_asksLibtorchForHugePages_onLinux_unlessTheUserSetIt() {
    assumeTrue(System.getProperty("os.name", "").toLowerCase(Locale.ROOT).contains("linux"));
    String before = System.getenv("THP_MEM_ALLOC_ENABLE"); // the JVM's snapshot: what the user set
    DjlDefaults.apply();
    // c10 reads the native environment, not System.getenv's copy
    String seen = Native.load("c", LibC.class).getenv("THP_MEM_ALLOC_ENABLE");
    assertThat(seen).isEqualTo(before != null ? before : "1");
    assertThat(System.getProperty("ai.djl.pytorch.graph_optimizer")).isNotNull();
    assertThat(System.getProperty("OPT_OUT_TRACKING") != null || System.getenv("OPT_OUT_TRACKING") != null).isTrue();
  }
}
