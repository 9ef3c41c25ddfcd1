package io.pgbridge.helm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import com.marcnuri.helm.Helm;
import com.marcnuri.helm.LintResult;
import java.io.IOException;
import java.io.StringReader;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The manifests {@code helm template} renders from the chart in {@code helm/pgbridge} for one
 * set of values, parsed into Jackson trees. Helm runs in-process (helm-java); rendering fails
 * with an {@link IllegalStateException} carrying Helm's message (schema violations, {@code fail}).
 *
 * <p>helm-java's template returns the release manifest only, without hooks (the Helm CLI prints
 * both). So that the hook resources are checked too, the chart is rendered from a copy in which
 * the {@code helm.sh/hook*} annotation keys are renamed to {@link #HOOK_PREFIX}{@code *}, which
 * Helm does not recognise; nothing else in the copy differs.
 */
final class RenderedChart {

  static final Path CHART = Path.of("helm", "pgbridge").toAbsolutePath();
  static final String RELEASE = "gen";
  static final String NAMESPACE = "bridges";
  static final String FULLNAME = RELEASE + "-pgbridge";

  /** What {@code helm.sh/hook} annotation keys are called in the rendered copy. */
  static final String HOOK_PREFIX = "exposed.helm.sh/hook";

  private static final ObjectMapper YAML = new YAMLMapper();

  final String text;
  final List<JsonNode> documents;

  private RenderedChart(String text, List<JsonNode> documents) {
    this.text = text;
    this.documents = documents;
  }

  /** Renders the chart with {@code values} written to a values file in {@code dir}. */
  static RenderedChart render(Path dir, Map<String, ?> values) {
    try {
      Path file = Files.createTempFile(dir, "values-", ".yaml");
      YAML.writeValue(file.toFile(), values);
      String out = new Helm(copyWithHooksExposed(dir)).template()
          .withName(RELEASE)
          .withNamespace(NAMESPACE)
          .withValuesFile(file)
          .call();
      List<JsonNode> docs = new ArrayList<>();
      try (MappingIterator<JsonNode> it = YAML.readerFor(JsonNode.class).readValues(out)) {
        while (it.hasNext()) {
          JsonNode doc = it.next();
          if (doc != null && doc.isObject() && doc.has("kind")) {
            docs.add(doc);
          }
        }
      }
      return new RenderedChart(out, docs);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Lints (strictly) a copy of the chart whose values.yaml is the chart's with {@code values}
   * merged in: helm-java's lint takes no values file, and a chart whose defaults alone do not
   * render (no password Secret named) would otherwise be linted only up to that failure.
   */
  static LintResult lint(Path dir, Map<String, ?> values) {
    try {
      Path copy = copyWithHooksExposed(dir);
      @SuppressWarnings("unchecked")
      Map<String, Object> defaults = YAML.readValue(CHART.resolve("values.yaml").toFile(),
          Map.class);
      YAML.writeValue(copy.resolve("values.yaml").toFile(), merge(defaults, values));
      return new Helm(copy).lint().strict().call();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> merge(Map<String, ?> base, Map<String, ?> overrides) {
    Map<String, Object> out = new java.util.LinkedHashMap<>(base);
    overrides.forEach((k, v) -> out.merge(k, v, (a, b) -> a instanceof Map && b instanceof Map
        ? merge((Map<String, ?>) a, (Map<String, ?>) b) : b));
    // merge() drops a key whose new value is null; Helm reads an explicit null as "remove"
    overrides.forEach((k, v) -> {
      if (v == null) {
        out.put(k, null);
      }
    });
    return out;
  }

  private static Path copyWithHooksExposed(Path dir) throws IOException {
    Path copy = Files.createTempDirectory(dir, "chart-");
    try (Stream<Path> files = Files.walk(CHART)) {
      for (Path source : (Iterable<Path>) files::iterator) {
        Path target = copy.resolve(CHART.relativize(source).toString());
        if (Files.isDirectory(source)) {
          Files.createDirectories(target);
        } else if (CHART.relativize(source).startsWith("templates")) {
          Files.writeString(target, Files.readString(source).replace("helm.sh/hook", HOOK_PREFIX));
        } else {
          Files.copy(source, target);
        }
      }
    }
    return copy;
  }

  List<JsonNode> ofKind(String kind) {
    return documents.stream().filter(d -> kind.equals(d.path("kind").asText()))
        .collect(Collectors.toList());
  }

  Optional<JsonNode> find(String kind, String name) {
    return ofKind(kind).stream()
        .filter(d -> name.equals(d.path("metadata").path("name").asText())).findFirst();
  }

  JsonNode get(String kind, String name) {
    return find(kind, name).orElseThrow(() -> new AssertionError(
        "no " + kind + " named " + name + " in:\n" + text));
  }

  JsonNode deployment() {
    return get("Deployment", FULLNAME);
  }

  JsonNode bridgeContainer() {
    return container(deployment(), "pgbridge");
  }

  /** The pod spec of a Pod, or of a Deployment's or Job's pod template. */
  static JsonNode podSpec(JsonNode workload) {
    return "Pod".equals(workload.path("kind").asText()) ? workload.path("spec")
        : workload.path("spec").path("template").path("spec");
  }

  /** Every resource that runs pgbridge: Deployment, Jobs and Pods. */
  List<JsonNode> workloads() {
    List<JsonNode> out = new ArrayList<>(ofKind("Deployment"));
    out.addAll(ofKind("Job"));
    out.addAll(ofKind("Pod"));
    return out;
  }

  static JsonNode container(JsonNode workload, String name) {
    for (JsonNode c : podSpec(workload).path("containers")) {
      if (name.equals(c.path("name").asText())) {
        return c;
      }
    }
    throw new AssertionError("no container " + name + " in " + workload);
  }

  /** The {@code pgbridge.properties} text of the named ConfigMap. */
  String propertiesText(String configMap) {
    return get("ConfigMap", configMap).path("data").path("pgbridge.properties").asText();
  }

  static List<String> textList(JsonNode array) {
    List<String> out = new ArrayList<>();
    array.forEach(n -> out.add(n.asText()));
    return out;
  }

  static Properties parse(String propertiesText) {
    Properties props = new Properties();
    try {
      props.load(new StringReader(propertiesText));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return props;
  }
}
