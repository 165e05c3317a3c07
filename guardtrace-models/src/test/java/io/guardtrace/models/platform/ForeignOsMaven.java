package io.guardtrace.models.platform;

import java.io.PrintStream;

/**
 * Runs Maven as if on another operating system: sets {@code os.name} and {@code os.arch} to
 * {@code -Dguardtrace.foreignOs.name} and {@code -Dguardtrace.foreignOs.arch}, then runs Maven's command line in
 * this JVM. Maven evaluates {@code <os>} profile activation from these two properties, read once when its
 * {@code Os} class loads, so they must be set before Maven starts; setting them with {@code -D} on the
 * {@code java} command line would make Maven's console library (jansi) load Windows natives on Linux, hence this
 * launcher, which lets jansi initialise first. Started by {@link NativePlatformTest} through Maven's own
 * classworlds launcher, with {@code MavenCli} on the class path.
 */
public final class ForeignOsMaven {
  private ForeignOsMaven() {}

  /**
   * Runs Maven with {@code args} and exits with its status.
   *
   * @param args Maven's command-line arguments
   * @throws Exception when Maven cannot be started
   */
  public static void main(String[] args) throws Exception {
    ClassLoader loader = Thread.currentThread().getContextClassLoader();
    try {
      // initialise the console for the real OS before os.name changes
      Class.forName("org.fusesource.jansi.AnsiConsole", true, loader).getMethod("out").invoke(null);
    } catch (ClassNotFoundException e) {
      // a Maven without jansi: nothing to initialise
    }
    System.setProperty("os.name", System.getProperty("guardtrace.foreignOs.name"));
    System.setProperty("os.arch", System.getProperty("guardtrace.foreignOs.arch"));
    Class<?> cli = Class.forName("org.apache.maven.cli.MavenCli", true, loader);
    Object maven = cli.getConstructor().newInstance();
    int status = (int) cli.getMethod("doMain", String[].class, String.class, PrintStream.class, PrintStream.class)
        .invoke(maven, args, System.getProperty("user.dir"), System.out, System.err);
    System.exit(status);
  }
}
