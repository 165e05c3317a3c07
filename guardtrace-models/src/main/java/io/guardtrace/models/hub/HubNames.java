package io.guardtrace.models.hub;

import io.guardtrace.ModelLoadException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.regex.Pattern;

/**
 * Checks every name that becomes part of a path in the cache: model ids, revisions, commits, file names and
 * ETags come from the user, the hub's answers or the model's own files, and none may step outside the cache.
 */
final class HubNames {
  private static final Pattern MODEL_ID =
      Pattern.compile("([A-Za-z0-9][A-Za-z0-9._-]{0,95}/)?[A-Za-z0-9][A-Za-z0-9._-]{0,95}");
  private static final Pattern COMMIT = Pattern.compile("[0-9a-f]{40}");
  private static final Pattern SAFE_BLOB = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");
  /** What a revision may not contain (git check-ref-format, plus backslash, which Windows reads as a separator). */
  private static final String FORBIDDEN_IN_REVISION = " ~^:?*[\\";

  private HubNames() {}

  /** Whether {@code s} is a full commit hash (the only revision form used as a snapshot directory name). */
  static boolean isCommit(String s) {
    return COMMIT.matcher(s).matches();
  }

  /**
   * Checks a model id ({@code ORG/NAME} or {@code NAME}, as the hub allows them).
   *
   * @throws ModelLoadException when it is not one
   */
  static String requireModelId(String modelId) {
    if (!MODEL_ID.matcher(modelId).matches() || modelId.contains("..") || modelId.contains("--")
        || modelId.endsWith(".")) {
      throw new ModelLoadException("'" + modelId + "' is not a Hugging Face model id (ORG/NAME: letters, digits, "
          + "'.', '_' and '-', no '..' or '--')");
    }
    return modelId;
  }

  /**
   * Checks a revision by git's branch and tag name rules (a 40-hex commit passes them too), so that it can name
   * a file under {@code refs/}: no empty, {@code .}-led or {@code .lock} components, no {@code ..}, no
   * {@code @{}, no control characters, spaces or {@code ~^:?*[\}, no leading or trailing {@code /}.
   *
   * @throws ModelLoadException when it breaks a rule
   */
  static String requireRevision(String revision) {
    String why = revisionProblem(revision);
    if (why != null) {
      throw new ModelLoadException("revision '" + printable(revision) + "' is not a valid branch, tag or commit: "
          + why);
    }
    return revision;
  }

  private static String revisionProblem(String r) {
    if (r.isEmpty() || r.length() > 255) {
      return "it must have 1 to 255 characters";
    }
    for (int i = 0; i < r.length(); i++) {
      char c = r.charAt(i);
      if (c < 0x21 || c > 0x7e || FORBIDDEN_IN_REVISION.indexOf(c) >= 0) {
        return "it contains '" + (c < 0x21 || c > 0x7e ? String.format("\\u%04x", (int) c) : c) + "'";
      }
    }
    if (r.startsWith("/") || r.endsWith("/") || r.contains("//")) {
      return "it starts or ends with '/' or has an empty component";
    }
    if (r.contains("..") || r.contains("@{") || r.equals("@") || r.startsWith("-") || r.endsWith(".")) {
      return "it contains '..' or '@{', is '@', starts with '-' or ends with '.'";
    }
    for (String part : r.split("/")) {
      if (part.startsWith(".") || part.endsWith(".lock")) {
        return "a component starts with '.' or ends with '.lock'";
      }
    }
    return null;
  }

  /**
   * Checks a commit hash read from the hub or from a cache {@code refs/} file.
   *
   * @param where what the value was read from, for the message
   * @throws ModelLoadException when it is not 40 lowercase hex digits
   */
  static String requireCommit(String commit, String where) {
    if (!isCommit(commit)) {
      throw new ModelLoadException(where + " does not hold a commit hash (40 hex digits): '"
          + printable(commit.length() > 80 ? commit.substring(0, 80) + "..." : commit) + "'");
    }
    return commit;
  }

  /**
   * Resolves {@code name} (a repository file name from the hub or a model's index) inside {@code dir}, refusing
   * absolute names, drive letters, backslashes, empty, {@code .} and {@code ..} components and anything that
   * would leave {@code dir}.
   *
   * @throws ModelLoadException naming the file when it is unsafe
   */
  static Path resolveInside(Path dir, String name) {
    String why = fileNameProblem(name);
    Path resolved = null;
    if (why == null) {
      resolved = dir.resolve(name).normalize();
      if (!resolved.startsWith(dir.normalize())) {
        why = "it leaves the model directory";
      }
    }
    if (why != null) {
      throw new ModelLoadException("unsafe file name '" + printable(name) + "' in the model's files: " + why);
    }
    return resolved;
  }

  private static String fileNameProblem(String name) {
    if (name.isEmpty() || name.length() > 1024) {
      return "it must have 1 to 1024 characters";
    }
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      if (c < 0x20 || c == 0x7f || c == '\\' || c == ':') {
        return "it contains a control character, '\\\\' or ':'";
      }
    }
    if (name.startsWith("/")) {
      return "it is absolute";
    }
    for (String part : name.split("/", -1)) {
      if (part.isEmpty() || part.equals(".") || part.equals("..")) {
        return "it has an empty, '.' or '..' component";
      }
    }
    return null;
  }

  /**
   * The blob file name for an ETag: the ETag itself when it is a plain name (a SHA-256 or git hash, as the hub
   * sends), else a SHA-256 of it, so that no server can choose a path.
   */
  static String blobName(String etag) {
    if (SAFE_BLOB.matcher(etag).matches() && !etag.endsWith(".incomplete") && !etag.endsWith(".lock")) {
      return etag;
    }
    try {
      return "etag-" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
          .digest(etag.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** {@code s} with control characters escaped, for messages. */
  static String printable(String s) {
    StringBuilder b = new StringBuilder(s.length());
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c < 0x20 || c == 0x7f) {
        b.append(String.format("\\u%04x", (int) c));
      } else {
        b.append(c);
      }
    }
    return b.toString();
  }
}
