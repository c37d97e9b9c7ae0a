package dev.holdfast.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.holdfast.it.CliProcess.Run;
import dev.holdfast.support.AppDatabase;
import dev.holdfast.support.KeycloakServer;
import dev.holdfast.support.TestDatabase;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The CLI as a Kubernetes CronJob runs it: no token given, only the realm's confidential client
 * {@code holdfast-cronjob} (deploy/keycloak, service account with backup-operator) and its secret in a file; the CLI
 * fetches its token from a real Keycloak with the client-credentials grant and the packaged service accepts it.
 */
class CliClientCredentialsIT {
    static final String CATALOG = "holdfast_clicc" + TestDatabase.SUFFIX;
    static final String APP = "holdfast_clicc_app" + TestDatabase.SUFFIX;
    static final ObjectMapper JSON = new ObjectMapper();

    static KeycloakServer keycloak;
    static PackagedService service;
    static Path storage;
    static Path secretFile;
    static Path work;

    @BeforeAll
    static void start() throws Exception {
        keycloak = KeycloakServer.get();
        TestDatabase.dropDatabase(CATALOG);
        TestDatabase.dropDatabase(APP);
        TestDatabase.ensureDatabase(CATALOG);
        TestDatabase.ensureDatabase(APP);
        AppDatabase.load(APP);
        storage = Files.createTempDirectory("holdfast-cli-cc");
        work = Files.createTempDirectory("holdfast-cli-cc-files");
        secretFile = Files.createTempFile(
                "holdfast-cli-cc",
                ".secret",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(secretFile, keycloak.clientSecret("holdfast-cronjob") + "\n");
        service = PackagedService.start(
                new PackagedService.Settings(
                        CATALOG, APP, storage, PackagedService.Settings.newKey(), keycloak.realmUrl()),
                "cli-cc",
                "target/cli-cc-it.log",
                Map.of("QUARKUS_OIDC_AUTH_SERVER_URL", keycloak.realmUrl()));
    }

    @AfterAll
    static void stop() throws Exception {
        if (service != null) {
            service.stop();
        }
        TestDatabase.dropDatabase(APP);
        TestDatabase.dropDatabase(CATALOG);
        Files.deleteIfExists(secretFile);
        for (Path dir : new Path[] {storage, work}) {
            if (dir != null) {
                try (Stream<Path> files = Files.walk(dir)) {
                    files.sorted(Comparator.reverseOrder()).map(Path::toFile).forEach(File::delete);
                }
            }
        }
    }

    static Map<String, String> env(String clientId) {
        Map<String, String> env = new HashMap<>();
        env.put("HOLDFAST_URL", "http://127.0.0.1:" + service.port);
        env.put("HOLDFAST_OIDC_ISSUER", keycloak.realmUrl());
        env.put("HOLDFAST_CLIENT_ID", clientId);
        env.put("HOLDFAST_CLIENT_SECRET_FILE", secretFile.toString());
        return env;
    }

    static Run cli(Map<String, String> env, String... args) throws Exception {
        return CliProcess.cli(work, env, args);
    }

    @Test
    void theCronJobClientBacksUpWithATokenItFetchedItself() throws Exception {
        Run r = cli(
                env("holdfast-cronjob"),
                "backup",
                "create",
                "--name",
                "from-cronjob",
                "--type",
                "database",
                "--wait",
                "-o",
                "json");
        assertThat(r.code()).as(r.err()).isZero();
        JsonNode backup = JSON.readTree(r.out());
        assertThat(backup.path("status").asText()).isEqualTo("SUCCEEDED");
        // The service recorded Keycloak's service account (its subject) as the caller.
        assertThat(backup.path("created_by").asText()).matches("[0-9a-f-]{36}");
        String secret = Files.readString(secretFile).strip();
        assertThat(r.out() + r.err()).doesNotContain(secret);
    }

    @Test
    void theOperatorClientMayNotDeleteAndAWrongSecretIsRefusedWithoutPrintingIt() throws Exception {
        Run list = cli(env("holdfast-cronjob"), "backup", "list", "-o", "json");
        assertThat(list.code()).as(list.err()).isZero();

        // backup-operator: creating is allowed, deleting is not (exit 3, 403).
        Run created = cli(env("holdfast-cronjob"), "backup", "create", "--type", "database", "--wait", "-o", "json");
        String id = JSON.readTree(created.out()).path("id").asText();
        Run delete = cli(env("holdfast-cronjob"), "backup", "delete", id, "--yes");
        assertThat(delete.code()).isEqualTo(3);
        assertThat(delete.err()).contains("403");

        Map<String, String> wrong = env("holdfast-cronjob");
        wrong.remove("HOLDFAST_CLIENT_SECRET_FILE");
        wrong.put("HOLDFAST_CLIENT_SECRET", "wrong-secret-3b9d1c");
        Run refused = cli(wrong, "backup", "list");
        assertThat(refused.code()).isEqualTo(3);
        assertThat(refused.err())
                .contains("unauthorized_client", "holdfast-cronjob")
                .doesNotContain("wrong-secret-3b9d1c");
    }
}
