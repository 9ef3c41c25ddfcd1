package io.pgbridge.bench;

import java.util.List;
import java.util.Locale;

/**
 * An SVG bar chart of lag percentiles (p50, p95, p99, max) per peer on a logarithmic axis,
 * written by the benchmark itself so the published figure is exactly what was measured.
 */
final class LagChart {

  private static final String[] LABELS = {"p50", "p95", "p99", "max"};
  private static final String[] COLORS = {"#4c78a8", "#f58518", "#e45756", "#9d755d"};

  private LagChart() {}

  static String svg(String title, List<PeerResult> results) {
    int groupW = 150;
    int left = 70;
    int top = 50;
    int plotH = 300;
    int width = left + Math.max(1, results.size()) * groupW + 30;
    int height = top + plotH + 70;
    double maxMs = 10;
    for (PeerResult r : results) {
      maxMs = Math.max(maxMs, r.lagMaxMs());
    }
    double lo = 1;
    double hi = Math.pow(10, Math.ceil(Math.log10(maxMs)));
    StringBuilder s = new StringBuilder();
    s.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\""
        + " height=\"%d\" font-family=\"sans-serif\" font-size=\"11\">%n", width, height));
    s.append(String.format(Locale.ROOT, "<rect width=\"%d\" height=\"%d\" fill=\"white\"/>%n",
        width, height));
    s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"22\" font-size=\"14\">%s</text>%n",
        left, escape(title)));
    for (double t = lo; t <= hi; t *= 10) {
      double y = top + plotH - plotH * Math.log10(t / lo) / Math.log10(hi / lo);
      s.append(String.format(Locale.ROOT, "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\""
          + " stroke=\"#ddd\"/><text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%s ms</text>%n",
          left, width - 20, y, y, left - 5, y + 4, t >= 1000 ? (long) t / 1000 + " 000" : (long) t));
    }
    for (int g = 0; g < results.size(); g++) {
      PeerResult r = results.get(g);
      double[] v = {r.lagP50Ms(), r.lagP95Ms(), r.lagP99Ms(), r.lagMaxMs()};
      int x0 = left + g * groupW + 15;
      for (int i = 0; i < 4; i++) {
        double ms = Math.max(lo, v[i]);
        double h = v[i] < 0 ? 0 : plotH * Math.log10(ms / lo) / Math.log10(hi / lo);
        int x = x0 + i * 30;
        s.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%.1f\" width=\"26\""
            + " height=\"%.1f\" fill=\"%s\"><title>%s %s %.1f ms</title></rect>%n", x,
            top + plotH - h, h, COLORS[i], escape(r.peer()), LABELS[i], v[i]));
        s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"middle\""
            + " font-size=\"9\">%s</text>%n", x + 13, top + plotH - h - 3,
            v[i] < 0 ? "n/a" : v[i] >= 100 ? String.format(Locale.ROOT, "%.0f", v[i])
                : String.format(Locale.ROOT, "%.1f", v[i])));
      }
      s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">%s"
          + "</text>%n", x0 + 58, top + plotH + 18, escape(r.peer())));
      s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\""
          + " fill=\"%s\">%s</text>%n", x0 + 58, top + plotH + 33,
          r.finalStateOk() ? "#2a7" : "#c33", r.finalStateOk() ? "final state OK"
              : r.finalStateMismatches() + " final states lost"));
    }
    for (int i = 0; i < 4; i++) {
      int x = left + i * 70;
      s.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"12\" height=\"12\""
          + " fill=\"%s\"/><text x=\"%d\" y=\"%d\">%s</text>%n", x, height - 20, COLORS[i],
          x + 16, height - 10, LABELS[i]));
    }
    s.append("</svg>\n");
    return s.toString();
  }

  private static String escape(String s) {
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
  }
}
