package io.pgbridge.gateway;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.pgbridge.consumer.SessionState;
import io.pgbridge.consumer.StateView;
import io.pgbridge.consumer.Tombstone;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Supplier;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.Fields;

/**
 * The gateway's plain HTTP routes (WebSocket upgrades of {@code /stream} are taken before, by
 * Jetty's upgrade handler): the page at {@code /}, {@code GET /stream} as Server-Sent Events,
 * {@code GET /sessions/{id}}, {@code GET /projects}, and {@code /metrics}, {@code /healthz},
 * {@code /readyz}, {@code /status}. Runs on Jetty request threads.
 */
public final class GatewayHandler extends Handler.Abstract {

  public static final String STREAM_PATH = "/stream";
  public static final String SESSIONS_PATH = "/sessions/";
  public static final String PROJECTS_PATH = "/projects";
  public static final String METRICS_PATH = "/metrics";
  public static final String HEALTH_PATH = "/healthz";
  public static final String READY_PATH = "/readyz";
  public static final String STATUS_PATH = "/status";

  private static final Map<String, String> PAGE_TYPES = Map.of(
      "/index.html", "text/html; charset=utf-8",
      "/app.js", "text/javascript; charset=utf-8",
      "/style.css", "text/css; charset=utf-8");

  private final Gateway gateway;
  private final StateView view;
  private final Admission admission;
  private final PrometheusMeterRegistry registry;
  private final Supplier<Map<String, Object>> status;
  private final Map<String, byte[]> page = new TreeMap<>();

  GatewayHandler(Gateway gateway, StateView view, Admission admission,
      PrometheusMeterRegistry registry, Supplier<Map<String, Object>> status) {
    this.gateway = gateway;
    this.view = view;
    this.admission = admission;
    this.registry = registry;
    this.status = status;
    for (String name : PAGE_TYPES.keySet()) {
      try (InputStream in = GatewayHandler.class.getResourceAsStream("ui" + name)) {
        if (in == null) {
          throw new IllegalStateException("page resource ui" + name + " is missing");
        }
        page.put(name, in.readAllBytes());
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }

  @Override
  public boolean handle(Request request, Response response, Callback callback) {
    String path = Request.getPathInContext(request);
    String method = request.getMethod();
    if (method.equals("OPTIONS")) {
      return preflight(request, response, callback);
    }
    if (!method.equals("GET") && !method.equals("HEAD")) {
      return send(response, callback, 405, "application/json",
          "{\"error\":\"method_not_allowed\"}");
    }
    switch (path) {
      case HEALTH_PATH -> {
        boolean ok = gateway.alive();
        return send(response, callback, ok ? 200 : 503, "text/plain", ok ? "ok\n" : "failed\n");
      }
      case READY_PATH -> {
        boolean ok = gateway.ready();
        return send(response, callback, ok ? 200 : 503, "text/plain",
            ok ? "ready\n" : "not caught up with the topic\n");
      }
      case METRICS_PATH -> {
        return send(response, callback, 200, "text/plain; version=0.0.4; charset=utf-8",
            registry.scrape());
      }
      case STATUS_PATH -> {
        return send(response, callback, 200, "application/json", Json.write(status.get()));
      }
      case "/" -> {
        return page(response, callback, "/index.html");
      }
      case STREAM_PATH -> {
        return stream(request, response, callback);
      }
      case PROJECTS_PATH -> {
        return projects(request, response, callback);
      }
      default -> {
        if (path.startsWith(SESSIONS_PATH)) {
          return session(request, response, callback, path.substring(SESSIONS_PATH.length()));
        }
        if (PAGE_TYPES.containsKey(path)) {
          return page(response, callback, path);
        }
        return send(response, callback, 404, "application/json", "{\"error\":\"not_found\"}");
      }
    }
  }

  private boolean page(Response response, Callback callback, String name) {
    response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-cache");
    response.getHeaders().put("X-Content-Type-Options", "nosniff");
    response.setStatus(200);
    response.getHeaders().put(HttpHeader.CONTENT_TYPE, PAGE_TYPES.get(name));
    response.write(true, ByteBuffer.wrap(page.get(name)), callback);
    return true;
  }

  private boolean preflight(Request request, Response response, Callback callback) {
    String origin = request.getHeaders().get(HttpHeader.ORIGIN);
    if (origin == null || !admission.originAllowed(origin,
        request.getHeaders().get(HttpHeader.HOST))) {
      return send(response, callback, 403, "application/json", "{\"error\":\"origin\"}");
    }
    cors(request, response);
    response.getHeaders().put(HttpHeader.ACCESS_CONTROL_ALLOW_METHODS, "GET, OPTIONS");
    response.getHeaders().put(HttpHeader.ACCESS_CONTROL_ALLOW_HEADERS,
        "Authorization, Last-Event-ID");
    response.getHeaders().put(HttpHeader.ACCESS_CONTROL_MAX_AGE, "600");
    response.setStatus(204);
    callback.succeeded();
    return true;
  }

  private static void cors(Request request, Response response) {
    String origin = request.getHeaders().get(HttpHeader.ORIGIN);
    if (origin != null) {
      response.getHeaders().put(HttpHeader.ACCESS_CONTROL_ALLOW_ORIGIN, origin);
      response.getHeaders().put(HttpHeader.VARY, "Origin");
    }
  }

  static boolean refuse(Response response, Callback callback, Admission.Result r) {
    if (r.status() == 401) {
      response.getHeaders().put(HttpHeader.WWW_AUTHENTICATE, "Bearer realm=\"pgbridge\"");
    }
    return send(response, callback, r.status(), "application/json",
        "{\"error\":" + Protocol.quote(r.code()) + ",\"message\":" + Protocol.quote(r.message())
            + "}");
  }

  private boolean session(Request request, Response response, Callback callback, String id) {
    Admission.Result r = admission.admit(request);
    if (!r.admitted()) {
      return refuse(response, callback, r);
    }
    cors(request, response);
    Optional<SessionState> s = view.get(id);
    if (s.isPresent()) {
      if (!r.principal().mayWatch(s.get().projectId())) {
        gateway.metrics().refused("forbidden");
        return send(response, callback, 403, "application/json", "{\"error\":\"forbidden\","
            + "\"message\":\"the session belongs to a project this token does not allow\"}");
      }
      return send(response, callback, 200, "application/json", Protocol.envelope(s.get()));
    }
    Optional<Tombstone> t = view.deletion(id);
    if (t.isPresent() && r.principal().mayWatch(t.get().projectId())) {
      return send(response, callback, 410, "application/json", "{\"sessionId\":"
          + Protocol.quote(id) + ",\"projectId\":" + Protocol.quote(t.get().projectId())
          + ",\"deleted\":true,\"lastVersion\":" + t.get().lastVersion() + "}");
    }
    return send(response, callback, 404, "application/json", "{\"error\":\"not_found\","
        + "\"sessionId\":" + Protocol.quote(id) + "}");
  }

  private boolean projects(Request request, Response response, Callback callback) {
    Admission.Result r = admission.admit(request);
    if (!r.admitted()) {
      return refuse(response, callback, r);
    }
    cors(request, response);
    List<String> ids = new ArrayList<>(r.principal().allProjects() ? view.projects()
        : r.principal().projects());
    ids.sort(null);
    StringBuilder b = new StringBuilder("{\"projects\":[");
    for (int i = 0; i < ids.size(); i++) {
      b.append(i == 0 ? "" : ",").append("{\"projectId\":").append(Protocol.quote(ids.get(i)))
          .append(",\"sessions\":").append(view.sessionsOf(ids.get(i)).size()).append('}');
    }
    return send(response, callback, 200, "application/json", b.append("]}").toString());
  }

  private boolean stream(Request request, Response response, Callback callback) {
    Admission.Result r = admission.admit(request);
    if (!r.admitted()) {
      return refuse(response, callback, r);
    }
    Fields query = Request.extractQueryParameters(request);
    String since = request.getHeaders().get("Last-Event-ID");
    if (since == null || since.isBlank()) {
      since = query.getValue("since");
    }
    ClientMessage m;
    try {
      m = ClientMessage.subscription(list(query, "projects"), list(query, "sessions"), since);
    } catch (ClientMessage.BadRequest e) {
      gateway.metrics().refused("bad_request");
      return send(response, callback, 400, "application/json", Protocol.error("bad_request",
          e.getMessage(), null));
    }
    if (!gateway.admitConnection()) {
      return send(response, callback, 503, "application/json", Protocol.error("overloaded",
          "too many connections", null));
    }
    cors(request, response);
    response.setStatus(200);
    response.getHeaders().put(HttpHeader.CONTENT_TYPE, "text/event-stream; charset=utf-8");
    response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-cache");
    response.getHeaders().put("X-Accel-Buffering", "no");
    SseClient client = gateway.newSseClient(r.principal(), response, callback);
    request.addFailureListener(t -> client.closedByPeer());
    Content.Sink.write(response, false, "retry: 2000\n\n", Callback.from(() -> {
      Fanout.Refusal refusal = gateway.fanout().handle(client, m);
      if (refusal != null) {
        client.offerLast(gateway.fanout().control("error", Protocol.error(refusal.code(),
            refusal.message(), null)));
      }
    }, t -> client.closedByPeer()));
    return true;
  }

  private static List<String> list(Fields query, String name) {
    List<String> out = new ArrayList<>();
    List<String> values = query.getValues(name);
    if (values != null) {
      for (String v : values) {
        out.addAll(Arrays.stream(v.split(",")).map(String::trim).filter(s -> !s.isEmpty())
            .toList());
      }
    }
    return out;
  }

  static boolean send(Response response, Callback callback, int status, String type,
      String body) {
    response.setStatus(status);
    response.getHeaders().put(HttpHeader.CONTENT_TYPE, type);
    response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-store");
    Content.Sink.write(response, true, body, callback);
    return true;
  }

  /** A tiny JSON writer for the status map (values: maps, lists, strings, numbers, booleans). */
  static final class Json {
    private static final com.fasterxml.jackson.databind.ObjectMapper MAPPER =
        new com.fasterxml.jackson.databind.ObjectMapper()
            .enable(com.fasterxml.jackson.databind.SerializationFeature.INDENT_OUTPUT);

    static String write(Object value) {
      try {
        return MAPPER.writeValueAsString(value) + "\n";
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }

    static byte[] utf8(String s) {
      return s.getBytes(StandardCharsets.UTF_8);
    }
  }
}
