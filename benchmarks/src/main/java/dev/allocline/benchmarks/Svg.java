package dev.allocline.benchmarks;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;

/** A minimal SVG line chart: categorical x (thread counts), linear or log10 y, one line per series. */
final class Svg {

    private static final String[] COLOURS = {"#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02",
        "#a6761d", "#666666"};
    private static final int W = 760;
    private static final int H = 420;
    private static final int LEFT = 70;
    private static final int RIGHT = 250;
    private static final int TOP = 40;
    private static final int BOTTOM = 50;

    private Svg() {
    }

    static String lineChart(String title, String xLabel, String yLabel, Map<String, Map<Integer, Double>> series,
                            boolean logY) {
        TreeSet<Integer> xs = new TreeSet<>();
        double min = Double.MAX_VALUE;
        double max = -Double.MAX_VALUE;
        for (Map<Integer, Double> s : series.values()) {
            xs.addAll(s.keySet());
            for (double v : s.values()) {
                min = Math.min(min, v);
                max = Math.max(max, v);
            }
        }
        if (xs.isEmpty()) {
            min = 0;
            max = 1;
        }
        if (logY) {
            min = Math.pow(10, Math.floor(Math.log10(Math.max(min, 1e-3))));
            max = Math.pow(10, Math.ceil(Math.log10(Math.max(max, min * 10))));
        } else {
            min = Math.min(0, min);
            max = max <= min ? min + 1 : max * 1.1;
        }
        List<Integer> xList = new ArrayList<>(xs);
        int plotW = W - LEFT - RIGHT;
        int plotH = H - TOP - BOTTOM;
        StringBuilder sb = new StringBuilder();
        sb.append("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"").append(W).append("\" height=\"").append(H)
                .append("\" font-family=\"sans-serif\" font-size=\"12\">\n");
        sb.append("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
        sb.append("<text x=\"").append(LEFT).append("\" y=\"22\" font-size=\"15\">").append(esc(title)).append("</text>\n");
        // axes and grid
        sb.append(line(LEFT, TOP + plotH, LEFT + plotW, TOP + plotH, "#000"));
        sb.append(line(LEFT, TOP, LEFT, TOP + plotH, "#000"));
        List<Double> ticks = new ArrayList<>();
        if (logY) {
            for (double t = min; t <= max * 1.0001; t *= 10) {
                ticks.add(t);
            }
        } else {
            double step = niceStep((max - min) / 5);
            for (double t = Math.ceil(min / step) * step; t <= max; t += step) {
                ticks.add(t);
            }
        }
        for (double t : ticks) {
            double y = y(t, min, max, logY, plotH);
            sb.append(line(LEFT, y, LEFT + plotW, y, "#ddd"));
            sb.append(text(LEFT - 6, y + 4, label(t), "end"));
        }
        for (int i = 0; i < xList.size(); i++) {
            double x = x(i, xList.size(), plotW);
            sb.append(line(x, TOP + plotH, x, TOP + plotH + 4, "#000"));
            sb.append(text(x, TOP + plotH + 18, Integer.toString(xList.get(i)), "middle"));
        }
        sb.append(text(LEFT + plotW / 2.0, H - 10, xLabel, "middle"));
        sb.append("<text transform=\"translate(16,").append(TOP + plotH / 2).append(") rotate(-90)\" text-anchor=\"middle\">")
                .append(esc(yLabel)).append("</text>\n");
        // series
        int c = 0;
        for (Map.Entry<String, Map<Integer, Double>> e : series.entrySet()) {
            String colour = COLOURS[c % COLOURS.length];
            StringBuilder pts = new StringBuilder();
            for (Map.Entry<Integer, Double> p : e.getValue().entrySet()) {
                double x = x(xList.indexOf(p.getKey()), xList.size(), plotW);
                double y = y(p.getValue(), min, max, logY, plotH);
                pts.append(String.format(Locale.ROOT, "%.1f,%.1f ", x, y));
                sb.append(String.format(Locale.ROOT, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"%s\"/>%n", x, y, colour));
            }
            sb.append("<polyline fill=\"none\" stroke=\"").append(colour).append("\" stroke-width=\"2\" points=\"")
                    .append(pts.toString().trim()).append("\"/>\n");
            int ly = TOP + 10 + c * 18;
            sb.append(line(W - RIGHT + 15, ly - 4, W - RIGHT + 35, ly - 4, colour));
            sb.append(text(W - RIGHT + 40, ly, e.getKey(), "start"));
            c++;
        }
        sb.append("</svg>\n");
        return sb.toString();
    }

    private static double x(int i, int n, int plotW) {
        return LEFT + (n <= 1 ? plotW / 2.0 : 20 + i * (plotW - 40.0) / (n - 1));
    }

    private static double y(double v, double min, double max, boolean logY, int plotH) {
        double f = logY ? (Math.log10(v) - Math.log10(min)) / (Math.log10(max) - Math.log10(min)) : (v - min) / (max - min);
        return TOP + plotH - f * plotH;
    }

    private static double niceStep(double raw) {
        double mag = Math.pow(10, Math.floor(Math.log10(raw)));
        double n = raw / mag;
        return (n < 1.5 ? 1 : n < 3.5 ? 2 : n < 7.5 ? 5 : 10) * mag;
    }

    private static String label(double v) {
        if (v >= 1000) {
            return String.format(Locale.ROOT, "%,.0f", v);
        }
        return v >= 1 || v == 0 ? String.format(Locale.ROOT, "%.0f", v) : String.format(Locale.ROOT, "%.2f", v);
    }

    private static String line(double x1, double y1, double x2, double y2, String colour) {
        return String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\"/>%n",
                x1, y1, x2, y2, colour);
    }

    private static String text(double x, double y, String s, String anchor) {
        return String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\">%s</text>%n", x, y, anchor, esc(s));
    }

    private static String esc(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }
}
