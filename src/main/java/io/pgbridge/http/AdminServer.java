package io.pgbridge.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.sun.net.httpserver.HttpExchange;
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
 * named threads with a bounded queue (excess requests are rejected, never queued without
 * bound). Started by the bridge's owner after the bridge exists; {@link #close()} stops it.
 */
public final class AdminServer implements AutoCloseable {

  public static final String METRICS_PATH = "/metrics";
  public static final String HEALTH_PATH = "/healthz";
  public static final String READY_PATH = "/readyz";
  public static final String STATUS_PATH = "/status";

  private static final Logger log = LoggerFactory.getLogger(AdminServer.class);
  private static final ObjectMapper JSON =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private final HttpServer server;
  private final ThreadPoolExecutor executor;

  public AdminServer(int port, PrometheusMeterRegistry registry, StatusSource status)
      throws IOException {
    server = HttpServer.create(new InetSocketAddress(port), 16);
    executor = new ThreadPoolExecutor(2, 2, 0, TimeUnit.MILLISECONDS,
        new ArrayBlockingQueue<>(64), r -> {
          Thread t = new Thread(r, "pgbridge-http");
          t.setDaemon(true);
          return t;
        }, new ThreadPoolExecutor.DiscardPolicy());
    server.setExecutor(executor);
    server.createContext(METRICS_PATH, ex -> respond(ex, 200,
        "text/plain; version=0.0.4; charset=utf-8", registry.scrape()));
    server.createContext(HEALTH_PATH, ex -> {
      boolean ok = status.alive();
      respond(ex, ok ? 200 : 503, "text/plain", ok ? "ok\n" : "not alive\n");
    });
    server.createContext(READY_PATH, ex -> {
      boolean ok = status.ready();
      respond(ex, ok ? 200 : 503, "text/plain", ok ? "ready\n" : "not ready\n");
    });
    server.createContext(STATUS_PATH, ex -> {
      Map<String, Object> body = status.status();
      respond(ex, 200, "application/json", JSON.writeValueAsString(body) + "\n");
    });
    server.createContext("/", ex -> respond(ex, 404, "text/plain",
        "try " + METRICS_PATH + ", " + HEALTH_PATH + ", " + READY_PATH + ", " + STATUS_PATH
            + "\n"));
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
