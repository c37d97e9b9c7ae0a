package dev.holdfast.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.holdfast.it.CliProcess.Run;
import dev.holdfast.support.AppDatabase;
import dev.holdfast.support.TestDatabase;
import java.io.File;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.MessageDigest;
import java.sql.Connection;
import java.sql.Statement;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The {@code holdfast} command line ({@code target/holdfast-cli.jar}, as users run it) against the packaged service
 * with real signed tokens: every command, each exit code produced by its real cause, JSON output compared with
 * the API, a retried create that makes one backup, restores checked row for row in the database, and progress
 * output in a pipe and in a pseudo-terminal.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class CliIT {
    static final String CATALOG = "holdfast_cliit" + TestDatabase.SUFFIX;
    static final String APP = "holdfast_cliit_app" + TestDatabase.SUFFIX;
    static final Path JAR = CliProcess.JAR;
    static final ObjectMapper JSON = new ObjectMapper();

    static PackagedService service;
    static Path storage;
    static Path work;
    static String backupId;

    @BeforeAll
    static void start() throws Exception {
        assertThat(JAR).as("./mvnw package builds the CLI jar").exists();
        TestDatabase.dropDatabase(CATALOG);
        TestDatabase.dropDatabase(APP);
        TestDatabase.ensureDatabase(CATALOG);
        TestDatabase.ensureDatabase(APP);
        AppDatabase.load(APP);
        AppDatabase.exec(
                APP,
                "CREATE TABLE public.cli_orders (id bigint PRIMARY KEY, customer text NOT NULL, total numeric(12,2))",
                "INSERT INTO public.cli_orders SELECT g, 'customer-' || (g % 97), g * 1.25 FROM generate_series(1, 20000) g");
        storage = Files.createTempDirectory("holdfast-cli-it");
        work = Files.createTempDirectory("holdfast-cli-it-files");
        KeyPair key = PackagedService.Settings.newKey();
        service = PackagedService.start(
                new PackagedService.Settings(CATALOG, APP, storage, key, "https://holdfast-cli-it.example"),
                "cli-it",
                "target/cli-it.log",
                // A short lock timeout, so that a backup blocked by a held lock fails within seconds.
                Map.of("HOLDFAST_COPY_LOCK_TIMEOUT", "6s"));
    }

    @AfterAll
    static void stop() throws Exception {
        if (service != null) {
            service.stop();
        }
        TestDatabase.dropDatabase(APP);
        TestDatabase.dropDatabase(CATALOG);
        for (Path dir : new Path[] {storage, work}) {
            if (dir != null) {
                try (Stream<Path> files = Files.walk(dir)) {
                    files.sorted(Comparator.reverseOrder()).map(Path::toFile).forEach(File::delete);
                }
            }
        }
    }

    static Run cli(String token, String... args) throws Exception {
        return cli(env(token), args);
    }

    static Map<String, String> env(String token) {
        Map<String, String> env = new HashMap<>();
        env.put("HOLDFAST_URL", "http://127.0.0.1:" + service.port);
        if (token != null) {
            env.put("HOLDFAST_TOKEN", token);
        }
        env.put("HOLDFAST_PROGRESS_INTERVAL", "1s");
        return env;
    }

    static Run cli(Map<String, String> env, String... args) throws Exception {
        return CliProcess.cli(work, env, args);
    }

    static Run exec(List<String> cmd, Map<String, String> env) throws Exception {
        return CliProcess.exec(work, cmd, env);
    }

    static String admin() {
        return service.settings.token();
    }

    static String operator() {
        return service.settings.token("otto", "backup-operator");
    }

    static String viewer() {
        return service.settings.token("vera", "backup-viewer");
    }

    static long count(String sql) {
        return Long.parseLong(TestDatabase.query(APP, sql).strip());
    }

    @Test
    @Order(1)
    void backupCreateWaitsShowsProgressInAPipeAndAnswersTheBackupAsJson() throws Exception {
        Run r = cli(operator(), "backup", "create", "--name", "nightly", "--type", "database", "--wait", "-o", "json");
        assertThat(r.code()).as(r.err()).isZero();
        JsonNode b = r.json();
        backupId = b.path("id").asText();
        assertThat(b.path("status").asText()).isEqualTo("SUCCEEDED");
        assertThat(b.path("name").asText()).isEqualTo("nightly");
        // The printed backup is the service's own view of it.
        JsonNode api = JSON.readTree(service.get("/api/backups/" + backupId).prettify());
        assertThat(b.path("sha256").asText())
                .isEqualTo(api.path("sha256").asText())
                .hasSize(64);
        assertThat(b.path("size_bytes").asLong())
                .isEqualTo(api.path("size_bytes").asLong())
                .isPositive();
        // Not a terminal: plain progress lines on stderr, no carriage returns, nothing of it on stdout.
        assertThat(r.err()).contains("progress: ").doesNotContain("\r");
        assertThat(r.out()).doesNotContain("progress:");
    }

    @Test
    @Order(2)
    void listShowAndYamlAgreeWithTheApi() throws Exception {
        Run list = cli(viewer(), "backup", "list", "-o", "json");
        assertThat(list.code()).isZero();
        assertThat(list.json().path("items").findValuesAsText("id")).contains(backupId);
        Run table = cli(viewer(), "backup", "list");
        assertThat(table.out()).contains("ID", "STATUS", backupId, "SUCCEEDED", "nightly");
        Run show = cli(viewer(), "backup", "show", backupId, "-o", "yaml");
        assertThat(show.code()).isZero();
        assertThat(show.out()).contains("id: " + backupId).contains("status: SUCCEEDED");
        String jobId = JSON.readTree(service.get("/api/backups/" + backupId).prettify())
                .path("job_id")
                .asText();
        Run jobs = cli(viewer(), "jobs", "list", "-o", "json");
        assertThat(jobs.json().path("items").findValuesAsText("id")).contains(jobId);
        Run job = cli(viewer(), "jobs", "show", jobId);
        assertThat(job.out()).contains("state:", "SUCCEEDED");
    }

    @Test
    @Order(3)
    void aRetriedCreateWithTheSameKeyMakesOneBackup() throws Exception {
        Map<String, String> env = env(operator());
        env.put("HOLDFAST_IDEMPOTENCY_KEY", "cronjob-nightly-29112400");
        Run first = cli(env, "backup", "create", "--name", "keyed", "--type", "database", "-o", "json");
        Run second = cli(env, "backup", "create", "--name", "keyed", "--type", "database", "-o", "json");
        assertThat(first.code()).as(first.err()).isZero();
        assertThat(second.code()).as(second.err()).isZero();
        assertThat(second.json().path("id").asText())
                .isEqualTo(first.json().path("id").asText());
        Run keyed = cli(viewer(), "backup", "list", "-q", "keyed", "-o", "json");
        assertThat(keyed.json().path("total_items").asLong()).isEqualTo(1);
        Run watch = cli(viewer(), "jobs", "watch", first.json().path("job_id").asText(), "-o", "json");
        assertThat(watch.code()).as(watch.err()).isZero();
        assertThat(watch.json().path("state").asText()).isEqualTo("SUCCEEDED");
    }

    @Test
    @Order(4)
    void verifyAndDownloadWithResumeCheckTheSha256() throws Exception {
        assertThat(cli(operator(), "backup", "verify", backupId, "--wait").code())
                .isZero();
        String expected = JSON.readTree(service.get("/api/backups/" + backupId).prettify())
                .path("sha256")
                .asText();

        Run whole = cli(admin(), "backup", "download", backupId, "--file", "whole.tar", "-o", "json");
        assertThat(whole.code()).as(whole.err()).isZero();
        byte[] bytes = Files.readAllBytes(work.resolve("whole.tar"));
        assertThat(sha256(bytes))
                .isEqualTo(expected)
                .isEqualTo(whole.json().path("sha256").asText());

        // An interrupted download: the first third is there; the CLI asks for the rest with Range.
        Files.write(work.resolve("resumed.tar.part"), java.util.Arrays.copyOf(bytes, bytes.length / 3));
        Run resumed = cli(admin(), "backup", "download", backupId, "--file", "resumed.tar");
        assertThat(resumed.code()).as(resumed.err()).isZero();
        assertThat(resumed.err()).contains("resuming");
        assertThat(Files.readAllBytes(work.resolve("resumed.tar"))).isEqualTo(bytes);
        assertThat(work.resolve("resumed.tar.part")).doesNotExist();

        // A damaged partial file is not passed off as the backup: exit 1, nothing under the final name.
        byte[] bad = java.util.Arrays.copyOf(bytes, bytes.length / 2);
        bad[100] ^= 0x55;
        Files.write(work.resolve("bad.tar.part"), bad);
        Run damaged = cli(admin(), "backup", "download", backupId, "--file", "bad.tar");
        assertThat(damaged.code()).isEqualTo(1);
        assertThat(damaged.err()).contains("SHA-256");
        assertThat(work.resolve("bad.tar")).doesNotExist();
        assertThat(work.resolve("bad.tar.part")).doesNotExist();
    }

    @Test
    @Order(5)
    void dryRunChangesNothingAndARealRestoreBringsRowsBackAndRollsBack() throws Exception {
        Map<String, String> before = AppDatabase.tableHashes(APP);
        AppDatabase.exec(APP, "DELETE FROM public.cli_orders WHERE id % 4 = 0");
        assertThat(count("SELECT count(*) FROM public.cli_orders")).isEqualTo(15000);

        Run dry = cli(admin(), "restore", backupId, "--dry-run", "--tables", "public.cli_orders", "-o", "json");
        assertThat(dry.code()).as(dry.err()).isZero();
        assertThat(dry.json().path("dry_run").asBoolean()).isTrue();
        assertThat(dry.json().path("status").asText()).isEqualTo("SUCCEEDED");
        assertThat(dry.out()).contains("cli_orders");
        assertThat(count("SELECT count(*) FROM public.cli_orders")).isEqualTo(15000);

        // Not a terminal and no --yes: refused before anything is sent.
        Run unconfirmed = cli(admin(), "restore", backupId, "--tables", "public.cli_orders", "--wait");
        assertThat(unconfirmed.code()).isEqualTo(2);
        assertThat(unconfirmed.err()).contains("--yes");
        assertThat(count("SELECT count(*) FROM public.cli_orders")).isEqualTo(15000);

        Run real = cli(admin(), "restore", backupId, "--tables", "public.cli_orders", "--yes", "--wait", "-o", "json");
        assertThat(real.code()).as(real.err()).isZero();
        assertThat(AppDatabase.tableHashes(APP)).isEqualTo(before);
        String restoreId = real.json().path("id").asText();
        assertThat(real.json().path("pre_backup_id").asText()).isNotEmpty();

        Run rollback = cli(admin(), "restore", "rollback", restoreId, "--yes", "--wait", "-o", "json");
        assertThat(rollback.code()).as(rollback.err()).isZero();
        assertThat(count("SELECT count(*) FROM public.cli_orders")).isEqualTo(15000);
        assertThat(count("SELECT count(*) FROM public.cli_orders WHERE id % 4 = 0"))
                .isZero();

        Run restores = cli(viewer(), "restore", "list", "-o", "json");
        assertThat(restores.json().path("items").findValuesAsText("id")).contains(restoreId);
        Run shown = cli(viewer(), "restore", "show", restoreId, "-o", "json");
        assertThat(shown.json().path("report").toString()).contains("cli_orders");
        AppDatabase.exec(
                APP,
                "INSERT INTO public.cli_orders SELECT g, 'customer-' || (g % 97), g * 1.25"
                        + " FROM generate_series(1, 20000) g WHERE g % 4 = 0");
        assertThat(AppDatabase.tableHashes(APP)).isEqualTo(before);
    }

    @Test
    @Order(6)
    void protectedDeleteIsAConflictAndDeleteNeedsYes() throws Exception {
        Run keyed = cli(viewer(), "backup", "list", "-q", "keyed", "-o", "json");
        String id = keyed.json().path("items").get(0).path("id").asText();
        assertThat(cli(admin(), "backup", "protect", id).code()).isZero();
        Run refused = cli(admin(), "backup", "delete", id, "--yes");
        assertThat(refused.code()).isEqualTo(6);
        assertThat(refused.err()).contains("409");
        Run noYes = cli(admin(), "backup", "delete", id);
        assertThat(noYes.code()).isEqualTo(2);
        assertThat(cli(admin(), "backup", "protect", id, "--off").code()).isZero();
        assertThat(cli(admin(), "backup", "show", id).code()).isZero();
        Run deleted = cli(admin(), "backup", "delete", id, "--yes");
        assertThat(deleted.code()).as(deleted.err()).isZero();
        Run gone = cli(viewer(), "backup", "show", id);
        assertThat(gone.code()).isEqualTo(2);
        assertThat(gone.err()).contains("404");
    }

    @Test
    @Order(7)
    void exitCodesComeFromTheirRealCauses() throws Exception {
        // A token the service never issued, and no token at all.
        Run bad = cli("not-a-token", "backup", "list");
        assertThat(bad.code()).isEqualTo(3);
        assertThat(bad.err()).contains("401");
        assertThat(cli((String) null, "backup", "list").code()).isEqualTo(2);
        // A viewer may not create a backup.
        Run viewer = cli(viewer(), "backup", "create", "--type", "database");
        assertThat(viewer.code()).isEqualTo(3);
        assertThat(viewer.err()).contains("403");
        // Invalid input: the service's problem names the field.
        Run invalid = cli(operator(), "backup", "create", "--type", "weekly");
        assertThat(invalid.code()).isEqualTo(2);
        assertThat(invalid.err()).contains("backup_type");
        // Nothing listens on the port: unreachable (retryable).
        int closed;
        try (ServerSocket s = new ServerSocket(0)) {
            closed = s.getLocalPort();
        }
        Map<String, String> env = env(admin());
        env.put("HOLDFAST_URL", "http://127.0.0.1:" + closed);
        Run down = cli(env, "status");
        assertThat(down.code()).isEqualTo(4);
        assertThat(down.err()).contains("cannot reach");
    }

    @Test
    @Order(8)
    void aWaitThatTimesOutExits5AndABackupThatFailsExits1() throws Exception {
        try (Connection lock = TestDatabase.connect(APP);
                Statement st = lock.createStatement()) {
            lock.setAutoCommit(false);
            st.execute("LOCK TABLE public.cli_orders IN ACCESS EXCLUSIVE MODE");
            Run timedOut = cli(
                    operator(),
                    "backup",
                    "create",
                    "--name",
                    "blocked",
                    "--type",
                    "database",
                    "--wait",
                    "--timeout",
                    "2s",
                    "-o",
                    "json");
            assertThat(timedOut.code()).as(timedOut.err()).isEqualTo(5);
            assertThat(timedOut.err()).contains("still running", "holdfast jobs watch");
            // The backup goes on waiting for the lock until its lock timeout, then fails.
            Run list = cli(viewer(), "backup", "list", "-q", "blocked", "-o", "json");
            String jobId = list.json().path("items").get(0).path("job_id").asText();
            Run watched = cli(viewer(), "jobs", "watch", jobId, "--timeout", "2m", "-o", "json");
            assertThat(watched.code()).as(watched.err()).isEqualTo(1);
            assertThat(watched.json().path("state").asText()).isEqualTo("FAILED");
            assertThat(watched.err()).contains("FAILED");
            lock.rollback();
        }
        // The seed's health check now warns: the app source's last backup failed.
        Run status = cli(viewer(), "status", "-o", "json");
        assertThat(status.code()).isEqualTo(1);
        assertThat(status.json().path("status").asText()).isEqualTo("warning");
        assertThat(status.json().path("warnings").toString()).contains("last backup failed");
        // A good backup again: all is well.
        assertThat(cli(operator(), "backup", "create", "--type", "database", "--wait")
                        .code())
                .isZero();
        Run ok = cli(viewer(), "status");
        assertThat(ok.code()).as(ok.out()).isZero();
        assertThat(ok.out()).contains("status: ok");
    }

    @Test
    @Order(9)
    void schedulesRunRetentionAndCancel() throws Exception {
        String schedule = service.post(
                        "/api/schedules",
                        "{\"name\":\"cli-weekly\",\"cron\":\"0 3 * * 0\",\"backup\":{\"backup_type\":\"database\"}}")
                .getString("id");
        Run list = cli(viewer(), "schedules", "list");
        assertThat(list.out()).contains("cli-weekly", "0 3 * * 0");
        Run shown = cli(viewer(), "schedules", "show", schedule, "-o", "json");
        assertThat(shown.json().path("next_runs").size()).isPositive();
        assertThat(shown.json().path("name").asText()).isEqualTo("cli-weekly");
        Run run = cli(operator(), "schedules", "run", schedule, "--wait", "-o", "json");
        assertThat(run.code()).as(run.err()).isZero();
        assertThat(run.json().path("schedule_id").asText()).isEqualTo(schedule);

        // The seed's cleanup_old_backups, as a policy: keep the newest backup outside schedules.
        // Two more backups outside any schedule: keep-last 1 keeps the newer, nothing keeps the older one.
        for (String name : List.of("old-1", "old-2")) {
            assertThat(cli(operator(), "backup", "create", "--name", name, "--type", "database", "--wait")
                            .code())
                    .isZero();
        }
        long before = cli(viewer(), "backup", "list", "--size", "100", "-o", "json")
                .json()
                .path("total_items")
                .asLong();
        Run preview = cli(viewer(), "retention", "preview", "--keep-last", "1", "-o", "json");
        assertThat(preview.code()).isZero();
        int toDelete = preview.json().path("delete").asInt();
        assertThat(toDelete).isPositive();
        assertThat(preview.out()).contains("old-1", "old-2", "keep_last 1");
        assertThat(cli(admin(), "retention", "apply", "--keep-last", "1").code())
                .isEqualTo(2);
        Run apply = cli(admin(), "retention", "apply", "--keep-last", "1", "--yes", "-o", "json");
        assertThat(apply.code()).as(apply.err()).isZero();
        assertThat(apply.json().path("deleted").size()).isEqualTo(toDelete);
        long after = cli(viewer(), "backup", "list", "--size", "100", "-o", "json")
                .json()
                .path("total_items")
                .asLong();
        assertThat(after).isEqualTo(before - toDelete);

        // Cancel: a backup blocked on a lock is cancelled; the job ends CANCELLED and so does the backup.
        try (Connection lock = TestDatabase.connect(APP);
                Statement st = lock.createStatement()) {
            lock.setAutoCommit(false);
            st.execute("LOCK TABLE public.cli_orders IN ACCESS EXCLUSIVE MODE");
            Run created =
                    cli(operator(), "backup", "create", "--name", "to-cancel", "--type", "database", "-o", "json");
            String jobId = created.json().path("job_id").asText();
            Run cancel = cli(operator(), "jobs", "cancel", jobId, "-o", "json");
            assertThat(cancel.code()).as(cancel.err()).isZero();
            assertThat(cancel.json().path("cancel_requested").asBoolean()).isTrue();
            Run watched = cli(viewer(), "jobs", "watch", jobId, "-o", "json");
            assertThat(watched.json().path("state").asText()).isEqualTo("CANCELLED");
            assertThat(watched.code()).isEqualTo(1);
            lock.rollback();
        }
    }

    @Test
    @Order(10)
    void theCatalogImportFindsEveryArchiveAlreadyKnown() throws Exception {
        long known = cli(viewer(), "backup", "list", "-o", "json")
                .json()
                .path("total_items")
                .asLong();
        Run imported = cli(admin(), "catalog", "import", "--wait", "-o", "json");
        assertThat(imported.code()).as(imported.err()).isZero();
        assertThat(imported.json().path("state").asText()).isEqualTo("SUCCEEDED");
        assertThat(cli(viewer(), "backup", "list", "-o", "json")
                        .json()
                        .path("total_items")
                        .asLong())
                .isEqualTo(known);
        assertThat(cli(operator(), "catalog", "import").code())
                .as("an operator may not import")
                .isEqualTo(3);
    }

    @Test
    @Order(11)
    void onATerminalProgressIsABar() throws Exception {
        Map<String, String> env = env(operator());
        env.put("COLUMNS", "120");
        String command = String.join(
                " ",
                ProcessHandle.current().info().command().orElse("java"),
                "-jar",
                JAR.toAbsolutePath().toString(),
                "backup",
                "create",
                "--name",
                "tty",
                "--type",
                "database",
                "--wait");
        // script(1) gives the CLI a pseudo-terminal, as a person's shell does.
        Run r = exec(List.of("script", "-qec", command, "/dev/null"), env);
        assertThat(r.code()).as(r.out() + r.err()).isZero();
        assertThat(r.out()).contains("\r").contains("[#").contains("SUCCEEDED");
    }

    @Test
    @Order(12)
    void drillsRunListShowAndStatsAndAFailedDrillExits1() throws Exception {
        Run made =
                cli(operator(), "backup", "create", "--name", "drilled", "--type", "database", "--wait", "-o", "json");
        assertThat(made.code()).as(made.err()).isZero();
        String backup = made.json().path("id").asText();
        Run run = cli(operator(), "drills", "run", "--source", "app", "--backup", backup, "--wait", "-o", "json");
        assertThat(run.code()).as(run.err()).isZero();
        JsonNode drill = run.json();
        String drillId = drill.path("id").asText();
        assertThat(drill.path("status").asText()).isEqualTo("SUCCEEDED");
        assertThat(drill.path("backup_id").asText()).isEqualTo(backup);
        assertThat(drill.path("tables").toString()).contains("cli_orders");
        // The printed drill is the service's own view of it.
        JsonNode api = JSON.readTree(service.get("/api/drills/" + drillId).prettify());
        assertThat(drill.path("recovery_seconds").asDouble())
                .isEqualTo(api.path("recovery_seconds").asDouble())
                .isPositive();

        Run list = cli(viewer(), "drills", "list", "--source", "app", "-o", "json");
        assertThat(list.json().path("items").get(0).path("id").asText()).isEqualTo(drillId);
        Run table = cli(viewer(), "drills", "list");
        assertThat(table.out()).contains("SOURCE", "RECOVERY_S", drillId, "SUCCEEDED");
        Run show = cli(viewer(), "drills", "show", drillId, "-o", "yaml");
        assertThat(show.out()).contains("id: " + drillId).contains("status: SUCCEEDED");
        Run stats = cli(viewer(), "drills", "stats", "-o", "json");
        JsonNode app = null;
        for (JsonNode s : stats.json()) {
            if (s.path("source").asText().equals("app")) {
                app = s;
            }
        }
        assertThat(app).isNotNull();
        assertThat(app.path("last_drill_id").asText()).isEqualTo(drillId);
        assertThat(cli(viewer(), "drills", "stats").out()).contains("LAST_SUCCESS", "app");

        // A damaged archive: the drill fails, the CLI says why and exits 1.
        Path archive;
        try (Stream<Path> files = Files.walk(storage)) {
            archive = files.filter(p -> p.getFileName().toString().equals(backup + ".tar"))
                    .findFirst()
                    .orElseThrow();
        }
        var entry = dev.holdfast.archive.ArchiveReader.open(archive).manifest().entries().stream()
                .filter(e -> e.name().contains("cli_orders"))
                .findFirst()
                .orElseThrow();
        try (java.io.RandomAccessFile f = new java.io.RandomAccessFile(archive.toFile(), "rw")) {
            long pos = entry.offset() + entry.storedSize() / 2;
            f.seek(pos);
            int v = f.read();
            f.seek(pos);
            f.write(v ^ 0x10);
        }
        Run failed = cli(operator(), "drills", "run", "--source", "app", "--backup", backup, "--wait", "-o", "json");
        assertThat(failed.code()).as(failed.err()).isEqualTo(1);
        assertThat(failed.json().path("status").asText()).isEqualTo("FAILED");
        assertThat(failed.err()).contains("FAILED").contains("cli_orders");
        // Bad input is refused naming the field, before anything runs.
        Run unknown = cli(operator(), "drills", "run", "--source", "nope");
        assertThat(unknown.code()).isEqualTo(2);
        assertThat(unknown.err()).contains("source");
        assertThat(cli(viewer(), "drills", "run", "--source", "app").code()).isEqualTo(3);
    }

    static String sha256(byte[] b) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
    }
}
