package io.pgbridge.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one HTTP port: {@code /metrics} (Prometheus text), {@code /healthz} (alive),
 * {@code /readyz} (ready) and {@code /status} (JSON). Served by the JDK's HTTP server on two
 * named threads with a bounded queue; a request beyond it is answered at once with 503 on the
 * server's own thread instead of being dropped (a probe that times out is worse than one told
 * "busy"). Started by the bridge's owner after the bridge exists; {@link #close()} stops it.
 */
public final class AdminServer implements AutoCloseable {

  public static final String METRICS_PATH = "/metrics";
  public static final String HEALTH_PATH = "/healthz";
  public static final String READY_PATH = "/readyz";
  public static final String STATUS_PATH = "/status";

  private static final Logger log = LoggerFactory.getLogger(AdminServer.class);
  private static final ObjectMapper JSON =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  /** Set while a rejected exchange runs on the server's thread: answer 503 only. */
  private static final ThreadLocal<Boolean> OVERLOADED = new ThreadLocal<>();

  private final HttpServer server;
  private final ThreadPoolExecutor executor;

  public AdminServer(int port, PrometheusMeterRegistry registry, StatusSource status)
      throws IOException {
    this(port, registry, status, 2, 16);
  }

  AdminServer(int port, PrometheusMeterRegistry registry, StatusSource status, int threads,
      int queue) throws IOException {
    server = HttpServer.create(new InetSocketAddress(port), 16);
    executor = new ThreadPoolExecutor(threads, threads, 0, TimeUnit.MILLISECONDS,
        new ArrayBlockingQueue<>(queue), r -> {
          Thread t = new Thread(r, "pgbridge-http");
          t.setDaemon(true);
          return t;
        }, (exchange, pool) -> {
          // on the server's dispatcher thread: read the request, answer 503, do no work
          OVERLOADED.set(Boolean.TRUE);
          try {
            exchange.run();
          } finally {
            OVERLOADED.remove();
          }
        });
    server.setExecutor(executor);
    context(METRICS_PATH, ex -> respond(ex, 200,
        "text/plain; version=0.0.4; charset=utf-8", registry.scrape()));
    context(HEALTH_PATH, ex -> {
      boolean ok = status.alive();
      respond(ex, ok ? 200 : 503, "text/plain", ok ? "ok\n" : "not alive\n");
    });
    context(READY_PATH, ex -> {
      boolean ok = status.ready();
      respond(ex, ok ? 200 : 503, "text/plain", ok ? "ready\n" : "not ready\n");
    });
    context(STATUS_PATH, ex -> {
      Map<String, Object> body = status.status();
      respond(ex, 200, "application/json", JSON.writeValueAsString(body) + "\n");
    });
    context("/", ex -> respond(ex, 404, "text/plain",
        "try " + METRICS_PATH + ", " + HEALTH_PATH + ", " + READY_PATH + ", " + STATUS_PATH
            + "\n"));
  }

  private void context(String path, HttpHandler handler) {
    server.createContext(path, ex -> {
      if (OVERLOADED.get() != null) {
        respond(ex, 503, "text/plain", "busy: too many requests at once\n");
      } else {
        handler.handle(ex);
      }
    });
  }

  public void start() {
    server.start();
    log.info("HTTP endpoints on port {}: {} {} {} {}", port(), METRICS_PATH, HEALTH_PATH,
        READY_PATH, STATUS_PATH);
  }

  /** The bound port (useful with port 0). */
  public int port() {
    return server.getAddress().getPort();
  }

  private static void respond(HttpExchange ex, int code, String type, String body)
      throws IOException {
    try (ex) {
      if (!"GET".equals(ex.getRequestMethod()) && !"HEAD".equals(ex.getRequestMethod())) {
        ex.sendResponseHeaders(405, -1);
        return;
      }
      byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
      ex.getResponseHeaders().set("Content-Type", type);
      ex.sendResponseHeaders(code, bytes.length);
      try (OutputStream out = ex.getResponseBody()) {
        out.write(bytes);
      }
    }
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }
}
