package dev.holdfast.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.util.RawValue;
import dev.holdfast.support.TestResources;
import dev.holdfast.support.Tokens;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import org.jboss.logging.Logger;
import org.junit.jupiter.api.Test;

/**
 * Sends every operation of the served OpenAPI document random and boundary values in every field and
 * parameter, as an admin, and checks the answers: no 5xx, no hang, every error a problem+json document,
 * every mutating request in the audit trail. The seed is fixed and logged; {@code -Dholdfast.fuzz.seed=N}
 * replays another run, {@code -Dholdfast.fuzz.rounds=N} sets the requests per operation.
 */
@QuarkusTest
class RequestFuzzTest {
    static final Object RESOURCES = TestResources.class;
    private static final Logger LOG = Logger.getLogger(RequestFuzzTest.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    // Every non-ASCII character escaped: lone surrogates can only travel in JSON as \\uD800-style escapes.
    private static final ObjectMapper ESCAPING = new ObjectMapper().enable(JsonGenerator.Feature.ESCAPE_NON_ASCII);
    private static final Duration TIMEOUT = Duration.ofSeconds(15);
    private static final Duration BUDGET = Duration.ofSeconds(50);
    private static final Set<String> MUTATING = Set.of("post", "put", "delete", "patch");

    private final HttpClient http = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5))
            .build();
    private Random random;
    private JsonNode doc;

    record Outcome(String operation, int status, String request) {}

    @Test
    void everyOperationAnswersRandomAndBoundaryInputWithA4xxProblemOrSuccess() throws Exception {
        long seed = Long.getLong("holdfast.fuzz.seed", 20260611L);
        int rounds = Integer.getInteger("holdfast.fuzz.rounds", 40);
        LOG.infof(
                "Request fuzzer seed %d (replay with -Dholdfast.fuzz.seed=%d), %d requests per operation",
                seed, seed, rounds);
        random = new Random(seed);
        String base = RestAssured.baseURI + ":" + RestAssured.port;
        doc = JSON.readTree(http.send(
                        HttpRequest.newBuilder(URI.create(base + "/q/openapi?format=json"))
                                .build(),
                        HttpResponse.BodyHandlers.ofString())
                .body());
        String admin = Tokens.admin();
        Instant started = Instant.now();
        Instant from = started.minusSeconds(1);
        List<Outcome> outcomes = new ArrayList<>();
        List<String> failures = new ArrayList<>();
        List<String> jobs = new ArrayList<>();
        List<String> schedules = new ArrayList<>();
        List<String> backups = new ArrayList<>();
        Set<String> auditedIds = new java.util.HashSet<>();
        int mutating = 0;
        int operations = 0;

        for (Iterator<Map.Entry<String, JsonNode>> paths = doc.path("paths").fields(); paths.hasNext(); ) {
            Map.Entry<String, JsonNode> path = paths.next();
            for (Iterator<Map.Entry<String, JsonNode>> ops = path.getValue().fields(); ops.hasNext(); ) {
                Map.Entry<String, JsonNode> op = ops.next();
                String method = op.getKey();
                if (!Set.of("get", "post", "put", "delete", "patch").contains(method)) {
                    continue;
                }
                operations++;
                String name = method.toUpperCase(Locale.ROOT) + " " + path.getKey();
                for (int round = 0;
                        round < rounds
                                && Duration.between(started, Instant.now()).compareTo(BUDGET) < 0;
                        round++) {
                    Map<String, String> pathValues = new LinkedHashMap<>();
                    StringBuilder query = new StringBuilder();
                    for (JsonNode p : params(path.getValue(), op.getValue())) {
                        String in = p.path("in").asText();
                        String pname = p.path("name").asText();
                        if (in.equals("path")) {
                            pathValues.put(pname, pathValue(round));
                        } else if (in.equals("query") && random.nextInt(3) > 0) {
                            query.append(query.isEmpty() ? "?" : "&")
                                    .append(enc(snake(pname)))
                                    .append('=')
                                    .append(enc(scalarText(resolve(p.path("schema")))));
                        }
                    }
                    String uriPath = path.getKey();
                    for (Map.Entry<String, String> v : pathValues.entrySet()) {
                        uriPath = uriPath.replace(
                                "{" + v.getKey() + "}", enc(v.getValue()).replace("+", "%20"));
                    }
                    // Whatever a request queues or creates is cancelled or deleted afterwards; retention is only
                    // ever applied to a schedule that does not exist, so that it deletes nothing of other tests.
                    String body = null;
                    JsonNode bodySchema = op.getValue()
                            .path("requestBody")
                            .path("content")
                            .path("application/json")
                            .path("schema");
                    if (!bodySchema.isMissingNode()) {
                        body = body(resolve(bodySchema), path.getKey());
                    }
                    HttpRequest.Builder req = HttpRequest.newBuilder(URI.create(base + uriPath + query))
                            .timeout(TIMEOUT)
                            .header("Authorization", "Bearer " + admin)
                            .header("Accept", "application/json, application/problem+json, */*");
                    if (body != null) {
                        req.header("Content-Type", "application/json");
                    }
                    HttpRequest.BodyPublisher pub = body == null
                            ? HttpRequest.BodyPublishers.noBody()
                            : HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8);
                    req.method(method.toUpperCase(Locale.ROOT), pub);
                    String described = name + " " + uriPath + query
                            + (body == null
                                    ? ""
                                    : " body " + (body.length() > 300 ? body.substring(0, 300) + "…" : body));
                    HttpResponse<String> resp;
                    try {
                        resp = http.send(req.build(), HttpResponse.BodyHandlers.ofString());
                    } catch (java.net.http.HttpTimeoutException e) {
                        failures.add("no answer within " + TIMEOUT + ": " + described);
                        continue;
                    } catch (java.io.IOException e) {
                        failures.add("connection ended without an answer (" + e.getMessage() + "): " + described);
                        continue;
                    }
                    int status = resp.statusCode();
                    outcomes.add(new Outcome(name, status, described));
                    check(resp, described, failures);
                    if (MUTATING.contains(method) && status != 413 && status != 414) {
                        mutating++;
                        String id = pathValues.get("id");
                        if (id != null && id.matches("[A-Za-z0-9-]{1,100}")) {
                            auditedIds.add(id);
                        }
                    }
                    collectCreated(path.getKey(), method, resp, jobs, schedules, backups);
                }
            }
        }
        cleanUp(base, admin, jobs, schedules, backups);

        Map<String, Map<Integer, Integer>> table = new TreeMap<>();
        outcomes.forEach(
                o -> table.computeIfAbsent(o.operation(), k -> new TreeMap<>()).merge(o.status(), 1, Integer::sum));
        Map<Integer, Integer> byStatus = new TreeMap<>();
        outcomes.forEach(o -> byStatus.merge(o.status(), 1, Integer::sum));
        LOG.infof(
                "Request fuzzer: %d operations, %d requests (%d mutating) in %d s; statuses %s; per operation %s",
                operations,
                outcomes.size(),
                mutating,
                Duration.between(started, Instant.now()).toSeconds(),
                byStatus,
                table);
        assertThat(failures).as("seed %d", seed).isEmpty();
        assertThat(operations).isGreaterThanOrEqualTo(20);

        // Every mutating request left an audit event: as many events by the admin, and each id it named.
        JsonNode audit = JSON.readTree(RestAssured.given()
                .auth()
                .oauth2(admin)
                .get("/api/audit?actor=sub-ada&size=1&from=" + from)
                .asString());
        assertThat(audit.path("total_items").asLong())
                .as("audit events of %d mutating requests", mutating)
                .isGreaterThanOrEqualTo(mutating);
        for (String id : auditedIds) {
            JsonNode ev = JSON.readTree(RestAssured.given()
                    .auth()
                    .oauth2(admin)
                    .get("/api/audit?size=1&from=" + from + "&target_id=" + enc(id))
                    .asString());
            assertThat(ev.path("total_items").asLong())
                    .as("audit events for target %s", id)
                    .isPositive();
        }
    }

    private void check(HttpResponse<String> resp, String described, List<String> failures) {
        int status = resp.statusCode();
        if (status >= 500) {
            failures.add(status + " for " + described + ": " + resp.body());
            return;
        }
        if (status < 400) {
            return;
        }
        String type = resp.headers().firstValue("Content-Type").orElse("");
        if (!type.startsWith("application/problem+json")) {
            failures.add(status + " without problem+json (" + type + ") for " + described);
            return;
        }
        try {
            JsonNode p = JSON.readTree(resp.body());
            if (p.path("status").asInt() != status || !p.hasNonNull("title") || !p.hasNonNull("type")) {
                failures.add(status + " with an incomplete problem " + resp.body() + " for " + described);
            }
        } catch (Exception e) {
            failures.add(status + " with an unreadable problem body for " + described);
        }
    }

    private void collectCreated(
            String path,
            String method,
            HttpResponse<String> resp,
            List<String> jobs,
            List<String> schedules,
            List<String> backups) {
        if (resp.statusCode() >= 300 || !method.equals("post")) {
            return;
        }
        try {
            JsonNode b = JSON.readTree(resp.body());
            if (b.path("job").hasNonNull("id")) {
                jobs.add(b.path("job").get("id").asText()); // the 202 envelope of queued work
            }
            if (path.equals("/api/backups")) {
                backups.add(b.path("resource").path("id").asText());
            } else if (path.equals("/api/jobs/{id}/cancel") || !b.hasNonNull("id")) {
                return;
            } else if (path.equals("/api/schedules")) {
                schedules.add(b.get("id").asText());
            } else if (b.hasNonNull("state")) {
                jobs.add(b.get("id").asText());
            }
        } catch (Exception e) {
            // Not JSON: nothing was created that the fuzzer could name.
        }
    }

    private void cleanUp(String base, String admin, List<String> jobs, List<String> schedules, List<String> backups)
            throws Exception {
        for (String job : jobs) {
            RestAssured.given().auth().oauth2(admin).post("/api/jobs/{id}/cancel", job);
        }
        for (String job : jobs) {
            org.awaitility.Awaitility.await()
                    .atMost(Duration.ofSeconds(60))
                    .until(() -> Set.of("SUCCEEDED", "FAILED", "CANCELLED")
                            .contains(RestAssured.given()
                                    .auth()
                                    .oauth2(admin)
                                    .get("/api/jobs/{id}", job)
                                    .jsonPath()
                                    .getString("state")));
        }
        for (String s : schedules) {
            RestAssured.given().auth().oauth2(admin).delete("/api/schedules/{id}", s);
        }
        for (String b : backups) {
            RestAssured.given().auth().oauth2(admin).delete("/api/backups/{id}", b);
        }
    }

    private List<JsonNode> params(JsonNode pathItem, JsonNode op) {
        List<JsonNode> out = new ArrayList<>();
        pathItem.path("parameters").forEach(out::add);
        op.path("parameters").forEach(p -> out.add(resolve(p)));
        return out;
    }

    private JsonNode resolve(JsonNode schema) {
        JsonNode s = schema;
        for (int i = 0; i < 10 && s.hasNonNull("$ref"); i++) {
            String[] parts = s.get("$ref").asText().substring(2).split("/");
            JsonNode t = doc;
            for (String part : parts) {
                t = t.path(part);
            }
            s = t;
        }
        if (s.has("allOf") && s.get("allOf").size() > 0) {
            return resolve(s.get("allOf").get(0));
        }
        return s;
    }

    private String pathValue(int round) {
        return switch (random.nextInt(10)) {
            case 0 -> pick(List.of("not-a-uuid", "\u0000", "0", "-1", "\uD83D\uDE00", "%", "..", "x".repeat(10_000)));
            case 1 -> "00000000-0000-0000-0000-000000000000";
            default -> UUID.randomUUID().toString();
        };
    }

    private String body(JsonNode schema, String path) throws Exception {
        switch (path.equals("/api/retention/apply") ? 11 : random.nextInt(12)) {
            case 0:
                return pick(List.of("", "{", "[]", "null", "\"x\"", "123", "{\"a\":", "\u0000", "{}}"));
            case 1:
                return "{\"no_such_field_" + random.nextInt(100) + "\":1}";
            default:
                break;
        }
        JsonNode value = value(schema, 0);
        if (path.equals("/api/retention/apply") && value instanceof ObjectNode o) {
            o.put("schedule_id", UUID.randomUUID().toString());
        }
        return ESCAPING.writeValueAsString(value);
    }

    private JsonNode value(JsonNode schema, int depth) {
        JsonNodeFactory f = JsonNodeFactory.instance;
        if (random.nextInt(12) == 0 || depth > 4) {
            return wrongType(schema.path("type").asText());
        }
        String type = schema.path("type").asText(schema.has("properties") ? "object" : "string");
        switch (type) {
            case "object": {
                ObjectNode o = f.objectNode();
                for (Iterator<Map.Entry<String, JsonNode>> it =
                                schema.path("properties").fields();
                        it.hasNext(); ) {
                    Map.Entry<String, JsonNode> p = it.next();
                    if (random.nextInt(3) > 0) {
                        // The document may spell fields in camelCase; the API reads snake_case.
                        o.set(
                                random.nextInt(8) == 0 ? p.getKey() : snake(p.getKey()),
                                value(resolve(p.getValue()), depth + 1));
                    }
                }
                return o;
            }
            case "array": {
                ArrayNode a = f.arrayNode();
                int n = pick(List.of(0, 1, 2, 3, 200));
                for (int i = 0; i < n; i++) {
                    a.add(value(resolve(schema.path("items")), depth + 1));
                }
                return a;
            }
            case "integer":
            case "number":
                return rawNumber();
            case "boolean":
                return random.nextBoolean() ? f.booleanNode(random.nextBoolean()) : wrongType("boolean");
            default:
                if (schema.has("enum") && random.nextBoolean()) {
                    List<String> values = new ArrayList<>();
                    schema.get("enum").forEach(v -> values.add(v.asText()));
                    return f.textNode(pick(values));
                }
                return f.textNode(string(schema));
        }
    }

    private JsonNode rawNumber() {
        return JsonNodeFactory.instance.rawValueNode(new RawValue(pick(List.of(
                "0",
                "-1",
                "1",
                "7",
                "2147483647",
                "2147483648",
                "-2147483649",
                "9223372036854775808",
                "99999999999999999999",
                "1e309",
                "-1e309",
                "1.5",
                "-0",
                "1e-400",
                "0.0000001"))));
    }

    private JsonNode wrongType(String expected) {
        JsonNodeFactory f = JsonNodeFactory.instance;
        List<JsonNode> all = List.of(
                f.nullNode(),
                f.textNode("wrong"),
                f.numberNode(42),
                f.booleanNode(true),
                f.objectNode(),
                f.arrayNode().add(1),
                f.textNode("\u0000"));
        JsonNode v;
        do {
            v = pick(all);
        } while (v.getNodeType().name().equalsIgnoreCase(expected));
        return v;
    }

    private String scalarText(JsonNode schema) {
        String type = schema.path("type").asText("string");
        if (random.nextInt(4) == 0) {
            return string(schema);
        }
        return switch (type) {
            case "integer", "number" ->
                pick(List.of(
                        "0",
                        "-1",
                        "1",
                        "20",
                        "1000",
                        "1001",
                        "2147483647",
                        "2147483648",
                        "99999999999999999999",
                        "1e309",
                        "1.5",
                        "abc",
                        ""));
            case "boolean" -> pick(List.of("true", "false", "TRUE", "maybe", "1", ""));
            default ->
                schema.has("enum") && random.nextBoolean()
                        ? schema.get("enum")
                                .get(random.nextInt(schema.get("enum").size()))
                                .asText()
                        : "date-time".equals(schema.path("format").asText()) && random.nextBoolean()
                                ? pick(List.of(
                                        "2026-01-31T23:00:00Z", "2026-13-45T99:00:00Z", "+999999999-12-31T23:59:59Z"))
                                : "uuid".equals(schema.path("format").asText()) && random.nextBoolean()
                                        ? UUID.randomUUID().toString()
                                        : string(schema);
        };
    }

    private String string(JsonNode schema) {
        return switch (random.nextInt(14)) {
            case 0 -> "";
            case 1 -> "a\u0000b";
            case 2 -> "\u0000";
            case 3 -> "\uD83D\uDE00 emoji";
            case 4 -> "lone \uD800 surrogate";
            case 5 -> "\uDFFF";
            case 6 -> "x".repeat(10_000);
            case 7 -> "'; DROP TABLE holdfast.backup; --";
            case 8 -> "../../../etc/passwd";
            case 9 -> "%_*?[]\\";
            case 10 -> "   ";
            case 11 -> "name,asc,desc";
            case 12 -> "\u202Eright-to-left \r\n\t";
            default -> "fuzz" + random.nextInt(1000);
        };
    }

    private <T> T pick(List<T> values) {
        return values.get(random.nextInt(values.size()));
    }

    static String snake(String s) {
        return s.replaceAll("([a-z0-9])([A-Z])", "$1_$2").toLowerCase(Locale.ROOT);
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }
}
