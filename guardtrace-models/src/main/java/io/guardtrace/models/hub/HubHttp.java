package io.guardtrace.models.hub;

import io.guardtrace.ModelLoadException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * HTTP to the hub with the redirects followed here, not by the client, so that the token goes only where it
 * belongs: {@code Authorization} is sent to the endpoint's origin (scheme, host, port) and never to a CDN or
 * any other host a redirect names. At most {@value #MAX_REDIRECTS} hops; only http(s) targets, and never from
 * https down to http.
 *
 * <p>HttpURLConnection rather than HttpClient: it has a read timeout, so a transfer that stalls fails (and can
 * be resumed) instead of hanging.
 */
final class HubHttp {
  static final int MAX_REDIRECTS = 10;
  static final String USER_AGENT = "guardtrace/0.1";
  private static final int CONNECT_TIMEOUT_MS = 10_000;
  private static final int READ_TIMEOUT_MS = 60_000;

  private final HubSettings settings;

  HubHttp(HubSettings settings) {
    this.settings = settings;
  }

  /**
   * One response of a redirect chain.
   *
   * @param uri the address that answered
   * @param status its HTTP status
   * @param headers its headers (names as the server sent them; look them up with {@link #header})
   */
  record Hop(URI uri, int status, Map<String, List<String>> headers) {
    /** The first value of header {@code name}, any case, or null. */
    @Nullable String header(String name) {
      for (Map.Entry<String, List<String>> e : headers.entrySet()) {
        if (e.getKey() != null && e.getKey().equalsIgnoreCase(name) && !e.getValue().isEmpty()) {
          return e.getValue().get(0);
        }
      }
      return null;
    }

    /** Header {@code name} as a non-negative number, or -1 when absent or not a number. */
    long longHeader(String name) {
      String v = header(name);
      if (v == null) {
        return -1;
      }
      try {
        long n = Long.parseLong(v.strip());
        return n >= 0 ? n : -1;
      } catch (NumberFormatException e) {
        return -1;
      }
    }
  }

  /**
   * The responses of one request and its redirects, the last one still open when it is not a redirect (read its
   * body with {@link #body()}, then close).
   */
  static final class Exchange implements AutoCloseable {
    final List<Hop> hops;
    private final HttpURLConnection last;

    Exchange(List<Hop> hops, HttpURLConnection last) {
      this.hops = List.copyOf(hops);
      this.last = last;
    }

    /** The final response. */
    Hop last() {
      return hops.get(hops.size() - 1);
    }

    /** The final response's body (its error body for a status of 400 or more). */
    InputStream body() throws IOException {
      InputStream in = last().status() >= 400 ? last.getErrorStream() : last.getInputStream();
      return in != null ? in : InputStream.nullInputStream();
    }

    @Override
    public void close() {
      try {
        body().close();
      } catch (IOException e) {
        last.disconnect();
      }
    }
  }

  /**
   * Sends {@code method} to {@code uri} and follows redirects: every one when {@code leaveOrigin}, else only
   * those that stay on the endpoint's origin (the chain then ends at the first redirect that leaves it, as
   * huggingface_hub's metadata request does).
   *
   * @param headers extra request headers, sent on every hop
   * @throws ModelLoadException for too many redirects or a redirect to an unusable address
   */
  Exchange send(String method, URI uri, Map<String, String> headers, boolean leaveOrigin) throws IOException {
    List<Hop> hops = new ArrayList<>();
    URI current = uri;
    while (true) {
      HttpURLConnection c = (HttpURLConnection) current.toURL().openConnection();
      c.setInstanceFollowRedirects(false);
      c.setUseCaches(false);
      c.setConnectTimeout(CONNECT_TIMEOUT_MS);
      c.setReadTimeout(READ_TIMEOUT_MS);
      c.setRequestMethod(method);
      c.setRequestProperty("User-Agent", USER_AGENT);
      headers.forEach(c::setRequestProperty);
      if (settings.token() != null && settings.sameOrigin(current)) {
        c.setRequestProperty("Authorization", "Bearer " + settings.token());
      }
      int status = c.getResponseCode();
      Hop hop = new Hop(current, status, c.getHeaderFields());
      hops.add(hop);
      String location = hop.header("Location");
      if (!isRedirect(status) || location == null) {
        return new Exchange(hops, c);
      }
      URI next = redirectTarget(current, location);
      if (!leaveOrigin && !settings.sameOrigin(next)) {
        return new Exchange(hops, c);
      }
      new Exchange(hops, c).close();
      if (hops.size() > MAX_REDIRECTS) {
        throw new ModelLoadException("the hub redirected " + uri + " more than " + MAX_REDIRECTS + " times");
      }
      current = next;
    }
  }

  static boolean isRedirect(int status) {
    return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
  }

  /** The absolute address a {@code Location} header names, relative ones resolved against {@code from}. */
  static URI redirectTarget(URI from, String location) {
    URI next;
    try {
      next = from.resolve(URI.create(location.strip()));
    } catch (IllegalArgumentException e) {
      throw new ModelLoadException("the hub redirected " + from + " to an invalid address: "
          + HubNames.printable(location), e);
    }
    String scheme = next.getScheme() == null ? "" : next.getScheme().toLowerCase(java.util.Locale.ROOT);
    if (!scheme.equals("https") && !scheme.equals("http") || next.getHost() == null) {
      throw new ModelLoadException("the hub redirected " + from + " to " + next + ", which is not an http(s) URL");
    }
    if (scheme.equals("http") && "https".equalsIgnoreCase(from.getScheme())) {
      throw new ModelLoadException("the hub redirected " + from + " from https down to plain http (" + next + ")");
    }
    return next;
  }

  /**
   * Reads a body of at most {@code limit} bytes (the hub's JSON answers are small; a larger one is refused
   * rather than read into memory).
   *
   * @throws ModelLoadException when the body is longer
   */
  static byte[] readBounded(InputStream in, int limit, String what) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    byte[] buf = new byte[8192];
    int n;
    while ((n = in.read(buf)) >= 0) {
      if (out.size() + n > limit) {
        throw new ModelLoadException(what + " is larger than " + limit + " bytes; refusing it");
      }
      out.write(buf, 0, n);
    }
    return out.toByteArray();
  }
}
