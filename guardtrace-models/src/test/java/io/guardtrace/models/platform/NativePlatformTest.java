package io.guardtrace.models.platform;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * guardtrace-models' POM selects libtorch's CPU native jar for the platform Maven runs on. Only Linux x86-64 can
 * run here, so each platform is checked by resolving guardtrace-models' dependency tree with a Maven that
 * believes it runs there ({@link ForeignOsMaven}): exactly the matching classifier of
 * {@code ai.djl.pytorch:pytorch-native-cpu}, and none on a platform Maven Central has no jar for.
 */
class NativePlatformTest {
  static final String NATIVE = "ai.djl.pytorch:pytorch-native-cpu";
  /** os.name and os.arch as the JVM reports them on each platform, and the classifier Maven must select. */
  static final String[][] PLATFORMS = {
      {"Linux", "amd64", "linux-x86_64"},
      {"Linux", "aarch64", "linux-aarch64"},
      {"Mac OS X", "aarch64", "osx-aarch64"},
      {"Windows 11", "amd64", "win-x86_64"},
      {"Mac OS X", "x86_64", "none"},
  };
  static final Map<String, NestedMaven> RUNS = new LinkedHashMap<>();

  /**
   * One Maven per platform. The one for the platform the tests run on goes first and alone, online: it fetches
   * whatever the local repository lacks (the dependency plugin, a daily metadata check). The others then start
   * together, offline, because a Maven that believes it runs on macOS or Windows cannot open a socket on Linux
   * (the JDK's platform socket options class is missing), so any download it attempted would fail it.
   */
  @BeforeAll
  static void resolveOnEveryPlatform(@TempDir Path tmp) throws IOException, InterruptedException {
    String mavenHome = System.getProperty("maven.home");
    String root = System.getProperty("maven.multiModuleProjectDirectory");
    String localRepo = System.getProperty("guardtrace.localRepository");
    assumeTrue(mavenHome != null && root != null && localRepo != null,
        "run by Maven (surefire passes maven.home, the project root and the local repository)");
    String[] host = {System.getProperty("os.name"), System.getProperty("os.arch")};
    NestedMaven.start(host[0], host[1], false, Files.createDirectory(tmp.resolve("host")), mavenHome, root,
        localRepo).natives();
    for (String[] platform : PLATFORMS) {
      Path dir = Files.createDirectory(tmp.resolve(platform[0].replace(' ', '_') + "-" + platform[1]));
      RUNS.put(platform[0] + "/" + platform[1], NestedMaven.start(platform[0], platform[1], true, dir, mavenHome,
          root, localRepo));
    }
  }

  @AfterAll
  static void stopLeftovers() {
    RUNS.values().forEach(r -> r.process.destroyForcibly());
  }

  static Stream<Arguments> platforms() {
    return Stream.of(PLATFORMS).map(p -> Arguments.of(p[0], p[1], p[2]));
  }

  @ParameterizedTest(name = "{0} {1} -> {2}")
  @MethodSource("platforms")
  void nativeJar_matchesThePlatform(String osName, String osArch, String classifier) throws Exception {
    List<String> natives = RUNS.get(osName + "/" + osArch).natives();
    if (classifier.equals("none")) {
      assertThat(natives).isEmpty();
    } else {
      assertThat(natives).containsExactly(NATIVE + ":jar:" + classifier + ":2.7.1:compile");
    }
  }

  /** A Maven resolving guardtrace-models' dependency tree as on another platform. */
  record NestedMaven(Process process, Path tree, Path log) {
    static NestedMaven start(String osName, String osArch, boolean offline, Path dir, String mavenHome,
        String root, String localRepo) throws IOException {
      Path classworlds = only(Path.of(mavenHome, "boot"), "plexus-classworlds*.jar");
      Path launcherClasses =
          Path.of(ForeignOsMaven.class.getProtectionDomain().getCodeSource().getLocation().getPath());
      Path conf = dir.resolve("m2.conf");
      Files.writeString(conf, "main is " + ForeignOsMaven.class.getName() + " from plexus.core\n"
          + "set maven.conf default ${maven.home}/conf\n"
          + "[plexus.core]\n"
          + "load " + launcherClasses + "\n"
          + "load ${maven.conf}/logging\n"
          + "optionally ${maven.home}/lib/ext/*.jar\n"
          + "load ${maven.home}/lib/*.jar\n");
      Path tree = dir.resolve("tree.txt");
      Path log = dir.resolve("maven.log");
      List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
          // a short run: the quick compiler and a small heap start fastest
          "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xmx512m",
          "-cp", classworlds.toString(), "-Dclassworlds.conf=" + conf, "-Dmaven.home=" + mavenHome,
          "-Dmaven.multiModuleProjectDirectory=" + root, "-Dguardtrace.foreignOs.name=" + osName,
          "-Dguardtrace.foreignOs.arch=" + osArch, "org.codehaus.plexus.classworlds.launcher.Launcher",
          "-B", "-ntp", "-q", "-f", Path.of(root, "pom.xml").toString(), "-Dmaven.repo.local=" + localRepo,
          "-pl", "guardtrace-models", "-am", "dependency:tree", "-Dincludes=" + NATIVE,
          "-DoutputFile=" + tree, "-DappendOutput=true"));
      if (offline) {
        command.add("-o");
      }
      Process p = new ProcessBuilder(command).directory(Path.of(root).toFile()).redirectErrorStream(true)
          .redirectOutput(log.toFile()).start();
      return new NestedMaven(p, tree, log);
    }

    /** The pytorch-native-cpu entries of the resolved tree. */
    List<String> natives() throws IOException, InterruptedException {
      assertThat(process.waitFor(5, TimeUnit.MINUTES)).as("nested Maven finished").isTrue();
      assertThat(process.exitValue()).as("nested Maven's exit status; its output:\n" + Files.readString(log))
          .isZero();
      List<String> natives = new ArrayList<>();
      for (String line : Files.readAllLines(tree)) {
        int at = line.indexOf(NATIVE);
        if (at >= 0) {
          natives.add(line.substring(at).strip());
        }
      }
      return natives;
    }
  }

  private static Path only(Path dir, String glob) throws IOException {
    try (DirectoryStream<Path> found = Files.newDirectoryStream(dir, glob)) {
      List<Path> all = new ArrayList<>();
      found.forEach(all::add);
      assertThat(all).as(glob + " in " + dir).hasSize(1);
      return all.get(0);
    }
  }
}
