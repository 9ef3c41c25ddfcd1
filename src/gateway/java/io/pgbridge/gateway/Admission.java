package io.pgbridge.gateway;

import io.pgbridge.gateway.auth.AuthRequest;
import io.pgbridge.gateway.auth.AuthenticationException;
import io.pgbridge.gateway.auth.Authenticator;
import io.pgbridge.gateway.auth.Principal;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.util.Fields;

/**
 * The checks every data request passes before it is served (WebSocket upgrade, SSE stream,
 * {@code GET /sessions/{id}}, {@code GET /projects}): the browser's Origin against the
 * allow-list, then the credentials through the {@link Authenticator}. A refusal carries the HTTP
 * status, a protocol error code and a message for the client, and is counted by reason.
 * Thread-safe; called on Jetty request threads.
 */
final class Admission {

  /** The outcome: a principal, or a refusal. */
  record Result(Principal principal, int status, String code, String message) {
    boolean admitted() {
      return principal != null;
    }
  }

  private final Set<String> allowedOrigins;
  private final Authenticator authenticator;
  private final GatewayMetrics metrics;

  Admission(Set<String> allowedOrigins, Authenticator authenticator, GatewayMetrics metrics) {
    this.allowedOrigins = allowedOrigins;
    this.authenticator = authenticator;
    this.metrics = metrics;
  }

  Result admit(Request request) {
    String origin = request.getHeaders().get(HttpHeader.ORIGIN);
    if (!originAllowed(origin, request.getHeaders().get(HttpHeader.HOST))) {
      metrics.refused("origin");
      return new Result(null, 403, "origin", "origin " + origin + " is not allowed");
    }
    try {
      return new Result(authenticator.authenticate(authRequest(request)), 200, null, null);
    } catch (AuthenticationException e) {
      metrics.refused("unauthorized");
      return new Result(null, 401, "unauthorized", e.getMessage());
    } catch (RuntimeException e) {
      metrics.refused("unauthorized");
      return new Result(null, 401, "unauthorized", "the credentials could not be checked");
    }
  }

  /** A request without Origin is not from a browser page; the gateway's own origin is allowed. */
  boolean originAllowed(String origin, String host) {
    if (origin == null || allowedOrigins.contains("*")) {
      return true;
    }
    String o = origin.toLowerCase(Locale.ROOT);
    if (allowedOrigins.contains(o)) {
      return true;
    }
    int scheme = o.indexOf("://");
    return host != null && scheme > 0 && o.substring(scheme + 3).equals(
        host.toLowerCase(Locale.ROOT));
  }

  private static AuthRequest authRequest(Request request) {
    String token = null;
    String authorization = request.getHeaders().get(HttpHeader.AUTHORIZATION);
    if (authorization != null && authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
      token = authorization.substring(7).trim();
    }
    if (token == null) {
      Fields query = Request.extractQueryParameters(request);
      token = query.getValue("access_token");
    }
    Map<String, List<String>> headers = new LinkedHashMap<>();
    for (HttpField f : request.getHeaders()) {
      headers.computeIfAbsent(f.getLowerCaseName(), k -> new ArrayList<>()).add(f.getValue());
    }
    return new AuthRequest(token, headers, Request.getRemoteAddr(request));
  }
}
