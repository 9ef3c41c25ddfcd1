package io.pgbridge.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * More requests than the admin server's threads and queue hold: the ones beyond get a 503 at
 * once instead of hanging until the client gives up, and the server serves normally after.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class AdminServerOverloadTest {

  @Test
  void requestsBeyondTheQueueGetAFast503AndTheServerRecovers() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    CountDownLatch busy = new CountDownLatch(1);
    StatusSource slow = new StatusSource() {
      @Override
      public boolean alive() {
        return true;
      }

      @Override
      public boolean ready() {
        return true;
      }

      @Override
      public Map<String, Object> status() {
        busy.countDown();
        try {
          release.await(20, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        return Map.of("slow", true);
      }
    };
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    AdminServer server = new AdminServer(0, registry, slow, 1, 1);
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    try {
      server.start();
      // one request occupies the only thread, one waits in the queue
      CompletableFuture<HttpResponse<String>> first = get(http, server, "/status");
      assertThat(busy.await(5, TimeUnit.SECONDS)).isTrue();
      CompletableFuture<HttpResponse<String>> queued = get(http, server, "/status");
      Thread.sleep(200);
      List<Integer> beyond = new ArrayList<>();
      long started = System.nanoTime();
      for (int i = 0; i < 3; i++) {
        beyond.add(get(http, server, "/readyz").get(5, TimeUnit.SECONDS).statusCode());
      }
      assertThat(beyond).containsOnly(503);
      assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started)).isLessThan(5_000);

      release.countDown();
      assertThat(first.get(10, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
      assertThat(queued.get(10, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
      assertThat(get(http, server, "/readyz").get(5, TimeUnit.SECONDS).statusCode())
          .isEqualTo(200);
    } finally {
      release.countDown();
      server.close();
      registry.close();
    }
  }

  private static CompletableFuture<HttpResponse<String>> get(HttpClient http, AdminServer server,
      String path) {
    return http.sendAsync(HttpRequest.newBuilder(URI.create("http://localhost:" + server.port()
        + path)).timeout(Duration.ofSeconds(5)).GET().build(),
        HttpResponse.BodyHandlers.ofString());
  }
}
