package dev.holdfast.web;

import java.util.List;
import java.util.Locale;

/**
 * Small bar charts as inline SVG markup: no script and no chart library, so they pass the Content-Security-Policy
 * and read the same without JavaScript. Every bar has a title (its value and date) for screen readers and hover.
 */
final class Charts {
    /** One bar: its label (a date) and value. */
    record Bar(String label, double value, String valueText) {}

    private Charts() {}

    static String bars(String title, List<Bar> bars) {
        int w = 320;
        int h = 80;
        StringBuilder sb = new StringBuilder();
        sb.append("<svg class=\"chart\" viewBox=\"0 0 ")
                .append(w)
                .append(' ')
                .append(h + 14)
                .append("\" role=\"img\" aria-label=\"")
                .append(escape(title))
                .append("\">");
        sb.append("<title>").append(escape(title)).append("</title>");
        if (bars.isEmpty()) {
            sb.append("<text x=\"4\" y=\"40\">no data</text></svg>");
            return sb.toString();
        }
        double max = bars.stream().mapToDouble(Bar::value).max().orElse(1);
        if (max <= 0) {
            max = 1;
        }
        double bw = (double) w / bars.size();
        for (int i = 0; i < bars.size(); i++) {
            Bar b = bars.get(i);
            double bh = Math.max(1, b.value() / max * h);
            sb.append(String.format(
                    Locale.ROOT,
                    "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\">",
                    i * bw + 1,
                    h - bh,
                    Math.max(1, bw - 2),
                    bh));
            sb.append("<title>")
                    .append(escape(b.label() + ": " + b.valueText()))
                    .append("</title></rect>");
        }
        sb.append("<text x=\"0\" y=\"")
                .append(h + 12)
                .append("\">")
                .append(escape(bars.get(0).label()))
                .append("</text>");
        sb.append("<text x=\"")
                .append(w)
                .append("\" y=\"")
                .append(h + 12)
                .append("\" text-anchor=\"end\">")
                .append(escape(bars.get(bars.size() - 1).label()))
                .append("</text></svg>");
        return sb.toString();
    }

    static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
