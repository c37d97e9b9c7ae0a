package dev.holdfast.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.holdfast.stats.KubernetesManifestsTest;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * The CronJobs of {@code deploy/kubernetes/components/cronjobs}, as every overlay renders them, agree with the CLI
 * they run: the arguments parse, the exit-code policy fails fast on exactly the codes that a retry cannot mend, the
 * deadline lies above the CLI's own timeout, the image is the service's, the client is one the realm file defines
 * with the role the command needs, and no secret is written out.
 */
class CronJobManifestsTest {
    static final Set<String> SEED_SCHEDULES = Set.of("0 2 * * *", "0 3 * * 0", "0 4 1 * *");

    @Test
    void everyOverlaysCronJobsRunTheCliAsItReallyIs() throws Exception {
        JsonNode realm = new ObjectMapper()
                .readTree(Path.of("deploy/keycloak/holdfast-realm.json").toFile());
        Set<Integer> failFast = allExitCodes();
        failFast.remove(ExitCodes.OK);
        failFast.remove(ExitCodes.UNAVAILABLE);
        for (String overlay : List.of("single-local", "replicas-s3")) {
            List<JsonNode> docs = KubernetesManifestsTest.render(overlay);
            String serviceImage = docs.stream()
                    .filter(d -> d.path("kind").asText().equals("Deployment"))
                    .findFirst()
                    .orElseThrow()
                    .at("/spec/template/spec/containers/0/image")
                    .asText();
            List<JsonNode> cronJobs = docs.stream()
                    .filter(d -> d.path("kind").asText().equals("CronJob"))
                    .toList();
            Set<String> schedules = new HashSet<>();
            for (JsonNode cj : cronJobs) {
                String what = overlay + " " + cj.at("/metadata/name").asText();
                schedules.add(cj.at("/spec/schedule").asText());
                assertThat(cj.at("/spec/concurrencyPolicy").asText()).as(what).isEqualTo("Forbid");
                assertThat(cj.at("/spec/startingDeadlineSeconds").asInt())
                        .as(what)
                        .isPositive();
                assertThat(cj.at("/spec/timeZone").asText()).as(what).isNotEmpty();
                JsonNode job = cj.at("/spec/jobTemplate/spec");
                assertThat(job.path("backoffLimit").asInt()).as(what).isPositive();
                assertThat(job.path("ttlSecondsAfterFinished").asInt()).as(what).isPositive();
                JsonNode pod = job.at("/template/spec");
                assertThat(pod.path("restartPolicy").asText()).as(what).isEqualTo("Never");
                JsonNode c = pod.at("/containers/0");
                assertThat(c.path("image").asText()).as(what).isEqualTo(serviceImage);
                assertThat(c.path("command").toString()).as(what).isEqualTo("[\"holdfast\"]");

                // Exit codes: fail fast on every code but "unreachable", which is retried up to backoffLimit.
                JsonNode rule = job.at("/podFailurePolicy/rules/0");
                assertThat(rule.path("action").asText()).as(what).isEqualTo("FailJob");
                assertThat(rule.at("/onExitCodes/containerName").asText())
                        .isEqualTo(c.path("name").asText());
                assertThat(rule.at("/onExitCodes/operator").asText()).isEqualTo("In");
                Set<Integer> codes = new HashSet<>();
                rule.at("/onExitCodes/values").forEach(v -> codes.add(v.asInt()));
                assertThat(codes).as(what + " fail-fast exit codes").isEqualTo(failFast);

                // The arguments are a command line the CLI accepts, non-interactive where it would ask.
                List<String> args = new ArrayList<>();
                c.path("args").forEach(a -> args.add(a.asText()));
                HoldfastCli cli = new HoldfastCli(Map.of(), quiet(), quiet(), CliPartsTest.noTerminal());
                CommandLine cl = new CommandLine(cli);
                cl.registerConverter(Duration.class, Durations::parse);
                CommandLine.ParseResult parsed = cl.parseArgs(args.toArray(String[]::new));
                assertThat(parsed.errors()).as(what).isEmpty();
                if (args.contains("apply") || args.contains("delete")) {
                    assertThat(args).as(what).contains("--yes");
                }
                if (args.contains("--wait")) {
                    Duration timeout = Durations.parse(args.get(args.indexOf("--timeout") + 1));
                    assertThat(job.path("activeDeadlineSeconds").asLong())
                            .as(what + " deadline above --timeout")
                            .isGreaterThan(timeout.toSeconds());
                }

                // Credentials: a realm client with a service account holding the role the command needs; its
                // secret only as a reference; the idempotency key from the Job's name.
                Map<String, JsonNode> env = new HashMap<>();
                c.path("env").forEach(e -> env.put(e.path("name").asText(), e));
                String clientId = env.get("HOLDFAST_CLIENT_ID").path("value").asText();
                String needed = args.get(0).equals("retention") ? "backup-admin" : "backup-operator";
                assertThat(serviceAccountRoles(realm, clientId))
                        .as(what + " client " + clientId)
                        .contains(needed);
                assertThat(env).as(what).doesNotContainKeys("HOLDFAST_CLIENT_SECRET", "HOLDFAST_TOKEN");
                assertThat(pod.at("/volumes").toString()).contains("\"secretName\":\"holdfast-cli\"");
                assertThat(env.get("HOLDFAST_IDEMPOTENCY_KEY")
                                .at("/valueFrom/fieldRef/fieldPath")
                                .asText())
                        .contains("job-name");
            }
            assertThat(schedules).as(overlay + ": the seed's three cron lines").isEqualTo(SEED_SCHEDULES);
        }
    }

    static Set<String> serviceAccountRoles(JsonNode realm, String clientId) {
        Set<String> roles = new HashSet<>();
        boolean confidential = false;
        for (JsonNode c : realm.path("clients")) {
            if (c.path("clientId").asText().equals(clientId)) {
                confidential = !c.path("publicClient").asBoolean()
                        && c.path("serviceAccountsEnabled").asBoolean();
            }
        }
        assertThat(confidential)
                .as(clientId + " is a confidential client with a service account")
                .isTrue();
        for (JsonNode u : realm.path("users")) {
            if (u.path("serviceAccountClientId").asText().equals(clientId)) {
                u.path("realmRoles").forEach(r -> roles.add(r.asText()));
            }
        }
        return roles;
    }

    static Set<Integer> allExitCodes() throws IllegalAccessException {
        Set<Integer> codes = new HashSet<>();
        for (Field f : ExitCodes.class.getDeclaredFields()) {
            if (Modifier.isStatic(f.getModifiers()) && f.getType() == int.class) {
                codes.add(f.getInt(null));
            }
        }
        assertThat(codes).hasSize(7);
        return codes;
    }

    static PrintStream quiet() {
        return new PrintStream(new ByteArrayOutputStream());
    }
}
