package dev.holdfast.stats;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.holdfast.support.TestResources;
import io.quarkus.test.junit.QuarkusTest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The Kubernetes manifests as {@code kubectl kustomize} renders every overlay: probes and ports the service really
 * has (asked of the running service), secrets only as references, a non-root pod with requests, and the monitoring
 * component generated from the very rules file promtool tests and the very dashboard file. With
 * {@code -Dupdate-manifests=true} it rewrites the PrometheusRule from the rules file instead of comparing.
 */
@QuarkusTest
public class KubernetesManifestsTest {
    static final Object RESOURCES = TestResources.class;
    static final Path KUBERNETES = Path.of("deploy/kubernetes");
    static final Path RULE = KUBERNETES.resolve("components/monitoring/prometheusrule.yaml");
    static final YAMLMapper YAML = new YAMLMapper();
    /** A variable that holds a secret; a {@code …_FILE} variable holds the path of a mounted Secret, not the secret. */
    static final Pattern SECRET_NAME = Pattern.compile("(?!.*_FILE$).*(PASSWORD|SECRET|TOKEN|ACCESS_KEY).*");

    /** The objects {@code kubectl kustomize} renders for an overlay (also used by the CLI's CronJob test). */
    public static List<JsonNode> render(String overlay) throws Exception {
        Process p = new ProcessBuilder(
                        "kubectl",
                        "kustomize",
                        KUBERNETES.resolve("overlays").resolve(overlay).toString())
                .redirectErrorStream(true)
                .start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor()).as("kubectl kustomize %s: %s", overlay, out).isZero();
        List<JsonNode> docs = new ArrayList<>();
        try (var it = YAML.readerFor(JsonNode.class).readValues(new YAMLFactory().createParser(out))) {
            while (it.hasNext()) {
                docs.add((JsonNode) it.next());
            }
        }
        return docs;
    }

    static JsonNode only(List<JsonNode> docs, String kind) {
        List<JsonNode> of =
                docs.stream().filter(d -> d.path("kind").asText().equals(kind)).toList();
        assertThat(of).as(kind).hasSize(1);
        return of.get(0);
    }

    @Test
    void everyOverlayRunsTheServiceAsItReallyIs() throws Exception {
        for (String overlay : List.of("single-local", "replicas-s3")) {
            List<JsonNode> docs = render(overlay);
            JsonNode deployment = only(docs, "Deployment");
            JsonNode pod = deployment.at("/spec/template/spec");
            JsonNode c = pod.at("/containers/0");
            assertThat(c.path("image").asText()).as(overlay).isEqualTo("holdfast:jvm");
            assertThat(c.at("/ports/0/containerPort").asInt()).isEqualTo(8080);
            assertThat(Files.readString(Path.of("src/main/resources/application.properties")))
                    .contains("\nquarkus.http.port=8080\n");
            for (String probe : List.of("startupProbe", "readinessProbe", "livenessProbe")) {
                String path = c.path(probe).at("/httpGet/path").asText();
                assertThat(path).as(overlay + " " + probe).startsWith("/q/health/");
                int status = given().get(path).statusCode();
                assertThat(status).as("GET %s of %s", path, probe).isIn(200, 503);
            }
            assertThat(pod.at("/securityContext/runAsNonRoot").asBoolean()).isTrue();
            assertThat(c.at("/securityContext/allowPrivilegeEscalation").asBoolean(true))
                    .isFalse();
            assertThat(c.at("/resources/requests/memory").asText()).isNotEmpty();
            assertThat(c.at("/resources/requests/cpu").asText()).isNotEmpty();
            // Secrets are references only: no literal value for a secret-looking variable, in the pod or a ConfigMap.
            for (JsonNode env : c.path("env")) {
                if (SECRET_NAME.matcher(env.path("name").asText()).matches()) {
                    assertThat(env.has("value")).as(env.toString()).isFalse();
                    assertThat(env.at("/valueFrom/secretKeyRef/name").asText()).isEqualTo("holdfast-secrets");
                }
            }
            for (JsonNode d : docs) {
                assertThat(d.path("kind").asText())
                        .as("no Secret object is shipped")
                        .isNotEqualTo("Secret");
                if (d.path("kind").asText().equals("ConfigMap")) {
                    d.path("data")
                            .fieldNames()
                            .forEachRemaining(
                                    k -> assertThat(SECRET_NAME.matcher(k).matches())
                                            .as("ConfigMap key %s", k)
                                            .isFalse());
                }
            }
            String configMap = c.at("/envFrom/0/configMapRef/name").asText();
            assertThat(docs)
                    .anyMatch(d -> d.path("kind").asText().equals("ConfigMap")
                            && d.at("/metadata/name").asText().equals(configMap));
            only(docs, "Service");
            assertThat(only(docs, "PodDisruptionBudget")
                            .at("/spec/maxUnavailable")
                            .asInt())
                    .isEqualTo(1);
            assertThat(only(docs, "NetworkPolicy")
                            .at("/spec/ingress/0/ports/0/port")
                            .asInt())
                    .isEqualTo(8080);
        }
        List<JsonNode> single = render("single-local");
        assertThat(only(single, "Deployment").at("/spec/replicas").asInt()).isEqualTo(1);
        assertThat(only(single, "PersistentVolumeClaim")
                        .at("/spec/accessModes/0")
                        .asText())
                .isEqualTo("ReadWriteOnce");
        List<JsonNode> s3 = render("replicas-s3");
        assertThat(only(s3, "Deployment").at("/spec/replicas").asInt()).isGreaterThan(1);
        assertThat(s3).noneMatch(d -> d.path("kind").asText().equals("PersistentVolumeClaim"));
        assertThat(s3.stream()
                        .filter(d -> d.path("kind").asText().equals("ConfigMap"))
                        .map(d -> d.at("/data/HOLDFAST_STORAGE_TYPE").asText()))
                .contains("s3");
    }

    @Test
    void monitoringIsTheTestedRulesFileAndTheDashboardFile() throws Exception {
        JsonNode rules =
                YAML.readTree(Path.of("deploy/prometheus/holdfast.rules.yml").toFile());
        ObjectNode expected = YAML.createObjectNode();
        expected.put("apiVersion", "monitoring.coreos.com/v1");
        expected.put("kind", "PrometheusRule");
        expected.putObject("metadata").put("name", "holdfast");
        expected.set("spec", rules);
        if (Boolean.getBoolean("update-manifests")) {
            Files.writeString(
                    RULE,
                    "# Generated from deploy/prometheus/holdfast.rules.yml by KubernetesManifestsTest"
                            + " (-Dupdate-manifests=true); edit the rules file, not this one.\n"
                            + YAMLMapper.builder()
                                    .enable(com.fasterxml.jackson.dataformat.yaml.YAMLGenerator.Feature.MINIMIZE_QUOTES)
                                    .enable(
                                            com.fasterxml.jackson.dataformat.yaml.YAMLGenerator.Feature
                                                    .LITERAL_BLOCK_STYLE)
                                    .disable(
                                            com.fasterxml.jackson.dataformat.yaml.YAMLGenerator.Feature
                                                    .WRITE_DOC_START_MARKER)
                                    .build()
                                    .writeValueAsString(expected));
        }
        List<JsonNode> docs = render("replicas-s3");
        JsonNode rule = only(docs, "PrometheusRule");
        assertThat(rule.get("spec"))
                .as("PrometheusRule differs from the rules file: ./mvnw test -Dtest=KubernetesManifestsTest"
                        + " -Dupdate-manifests=true")
                .isEqualTo(rules);
        JsonNode monitor = only(docs, "ServiceMonitor");
        assertThat(monitor.at("/spec/endpoints/0/path").asText()).isEqualTo("/q/metrics");
        assertThat(given().get("/q/metrics").statusCode()).isEqualTo(200);
        JsonNode dashboard = docs.stream()
                .filter(d -> d.path("kind").asText().equals("ConfigMap")
                        && d.at("/metadata/name").asText().equals("holdfast-grafana-dashboard"))
                .findFirst()
                .orElseThrow();
        assertThat(dashboard.at("/metadata/labels/grafana_dashboard").asText()).isEqualTo("1");
        ObjectMapper json = new ObjectMapper();
        assertThat(json.readTree(dashboard.at("/data/holdfast-dashboard.json").asText()))
                .isEqualTo(json.readTree(
                        Path.of("deploy/grafana/holdfast-dashboard.json").toFile()));
    }
}
