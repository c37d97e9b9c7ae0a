package dev.holdfast.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import java.io.IOException;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * How results reach stdout: {@code table} for people (chosen columns of a list, key/value lines of one object),
 * {@code json} and {@code yaml} for scripts (the service's answer unchanged). Progress and errors go to stderr.
 */
final class Output {
    /** The {@code --output} choices. */
    enum Format {
        table,
        json,
        yaml
    }

    /** A table column: its heading and the field path in each item (dots for nested fields). */
    record Column(String heading, String path) {}

    private final Format format;
    private final PrintStream out;
    private final ObjectMapper json;

    Output(Format format, PrintStream out, ObjectMapper json) {
        this.format = format;
        this.out = out;
        this.json = json;
    }

    Format format() {
        return format;
    }

    /** A list answer (a page's {@code items}, or an array) as rows, or the whole answer as JSON/YAML. */
    void list(JsonNode answer, List<Column> columns) {
        if (format != Format.table) {
            raw(answer);
            return;
        }
        JsonNode items = answer.isArray() ? answer : answer.path("items");
        List<String[]> rows = new ArrayList<>();
        rows.add(columns.stream().map(Column::heading).toArray(String[]::new));
        for (JsonNode item : items) {
            rows.add(columns.stream().map(c -> cell(at(item, c.path()))).toArray(String[]::new));
        }
        int[] width = new int[columns.size()];
        for (String[] r : rows) {
            for (int i = 0; i < r.length; i++) {
                width[i] = Math.max(width[i], r[i].length());
            }
        }
        for (String[] r : rows) {
            StringBuilder line = new StringBuilder();
            for (int i = 0; i < r.length; i++) {
                line.append(i == r.length - 1 ? r[i] : pad(r[i], width[i] + 2));
            }
            out.println(line.toString().stripTrailing());
        }
        if (answer.has("total_items")) {
            out.printf(
                    "(page %d of %d, %d in all)%n",
                    answer.path("page").asInt() + 1,
                    Math.max(1, answer.path("total_pages").asInt()),
                    answer.path("total_items").asLong());
        }
    }

    /** One object: its scalar fields as {@code key: value} lines, nested ones as compact JSON. */
    void item(JsonNode answer) {
        if (format != Format.table) {
            raw(answer);
            return;
        }
        int w = 0;
        for (Iterator<String> it = answer.fieldNames(); it.hasNext(); ) {
            w = Math.max(w, it.next().length());
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = answer.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (e.getValue().isNull()) {
                continue;
            }
            out.println(pad(e.getKey() + ":", w + 2) + cell(e.getValue()));
        }
    }

    /** The answer as JSON or YAML, whatever the format (table falls back to JSON for shapes it cannot show). */
    void raw(JsonNode answer) {
        try {
            if (format == Format.yaml) {
                ObjectMapper yaml = new ObjectMapper(new YAMLFactory()
                        .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
                        .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES));
                out.print(yaml.writeValueAsString(answer));
            } else {
                out.println(
                        json.copy().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(answer));
            }
        } catch (IOException e) {
            throw new CliException(ExitCodes.FAILED, "cannot print the answer: " + e.getMessage());
        }
    }

    /** A line for people; printed with {@code table} only, so that json/yaml output stays parseable. */
    void line(String text) {
        if (format == Format.table) {
            out.println(text);
        }
    }

    static JsonNode at(JsonNode node, String path) {
        JsonNode n = node;
        for (String part : path.split("\\.")) {
            n = n.path(part);
        }
        return n;
    }

    private String cell(JsonNode v) {
        if (v == null || v.isMissingNode() || v.isNull()) {
            return "-";
        }
        if (v.isValueNode()) {
            return v.asText();
        }
        if (v.isArray() && v.size() > 0 && v.get(0).isValueNode()) {
            List<String> parts = new ArrayList<>();
            v.forEach(x -> parts.add(x.asText()));
            return String.join(",", parts);
        }
        try {
            return json.writeValueAsString(v);
        } catch (IOException e) {
            return v.toString();
        }
    }

    private static String pad(String s, int w) {
        return s.length() >= w ? s + " " : s + " ".repeat(w - s.length());
    }

    /** Bytes for people: 1.5 MiB. */
    static String bytes(long n) {
        if (n < 1024) {
            return n + " B";
        }
        String[] units = {"KiB", "MiB", "GiB", "TiB"};
        double v = n;
        int u = -1;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return String.format(java.util.Locale.ROOT, "%.1f %s", v, units[u]);
    }
}
