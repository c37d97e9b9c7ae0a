package dev.holdfast.stats;

import static io.restassured.RestAssured.given;

import java.util.Map;
import java.util.TreeMap;

/** Reads samples from the Prometheus text the service exposes on /q/metrics. */
public final class Metrics {
    private final String text;

    private Metrics(String text) {
        this.text = text;
    }

    public static Metrics scrape() {
        return new Metrics(
                given().get("/q/metrics").then().statusCode(200).extract().asString());
    }

    /** The value of the sample with this name and exactly these labels, or null when absent. */
    public Double value(String name, Map<String, String> labels) {
        for (String line : text.split("\n")) {
            if (line.startsWith("#") || !line.startsWith(name)) {
                continue;
            }
            int brace = line.indexOf('{');
            int space = line.lastIndexOf(' ');
            String metric = brace < 0 ? line.substring(0, space) : line.substring(0, brace);
            if (!metric.equals(name)) {
                continue;
            }
            Map<String, String> found = new TreeMap<>();
            if (brace >= 0) {
                String body = line.substring(brace + 1, line.lastIndexOf('}'));
                for (String pair : body.split(",(?=[a-z_]+=\")")) {
                    int eq = pair.indexOf('=');
                    if (eq > 0) {
                        found.put(pair.substring(0, eq), pair.substring(eq + 2, pair.length() - 1));
                    }
                }
            }
            if (found.equals(new TreeMap<>(labels))) {
                return Double.parseDouble(line.substring(space + 1));
            }
        }
        return null;
    }

    public double valueOrZero(String name, Map<String, String> labels) {
        Double v = value(name, labels);
        return v == null ? 0 : v;
    }

    String text() {
        return text;
    }
}
