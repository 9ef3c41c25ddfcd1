package io.pgbridge.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.HttpURLConnection;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;

/** A Server-Sent Events client for tests: reads events on its own thread and keeps them. */
final class Sse implements AutoCloseable {

  private static final ObjectMapper JSON = new ObjectMapper();

  private final HttpURLConnection connection;
  private final List<String> data = new CopyOnWriteArrayList<>();
  private final List<String> ids = new CopyOnWriteArrayList<>();
  private final Thread reader;

  private Sse(HttpURLConnection connection) {
    this.connection = connection;
    this.reader = new Thread(this::read, "sse-test-reader");
    this.reader.setDaemon(true);
  }

  static Sse open(String url, String lastEventId) throws Exception {
    HttpURLConnection c = (HttpURLConnection) URI.create(url).toURL().openConnection();
    c.setRequestProperty("Accept", "text/event-stream");
    if (lastEventId != null) {
      c.setRequestProperty("Last-Event-ID", lastEventId);
    }
    c.setReadTimeout(30_000);
    if (c.getResponseCode() != 200) {
      throw new IllegalStateException("SSE answered " + c.getResponseCode());
    }
    Sse s = new Sse(c);
    s.reader.start();
    return s;
  }

  private void read() {
    try (InputStream in = connection.getInputStream();
        BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
      String line;
      while ((line = r.readLine()) != null) {
        if (line.startsWith("data: ")) {
          data.add(line.substring(6));
        } else if (line.startsWith("id: ")) {
          ids.add(line.substring(4));
        }
      }
    } catch (Exception e) {
      // closed
    }
  }

  List<String> events() {
    return new ArrayList<>(data);
  }

  List<JsonNode> json() {
    List<JsonNode> out = new ArrayList<>();
    for (String d : data) {
      try {
        out.add(JSON.readTree(d));
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    }
    return out;
  }

  String awaitEventWithId(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      if (!ids.isEmpty()) {
        return ids.get(ids.size() - 1);
      }
      Thread.sleep(20);
    }
    throw new AssertionError("no event with an id; got " + data);
  }

  void awaitData(Predicate<String> matches, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      if (data.stream().anyMatch(matches)) {
        return;
      }
      Thread.sleep(20);
    }
    throw new AssertionError("no matching event; got " + data);
  }

  @Override
  public void close() {
    connection.disconnect();
  }
}
