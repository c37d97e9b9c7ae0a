package dev.holdfast.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.holdfast.support.AppDatabase;
import dev.holdfast.support.KeycloakServer;
import dev.holdfast.support.TestDatabase;
import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The web dashboard in a real Chromium ({@code src/test/browser/dashboard.mjs}, playwright-core) against the packaged
 * service with its dashboard tenant on, logging in on a real Keycloak's own page (public client
 * {@code holdfast-dashboard} of {@code deploy/keycloak}, code flow with PKCE) as a viewer, an operator and an admin:
 * what each is offered, a backup created from the form and followed live to its end, a viewer's forged POST refused,
 * an expired session and a logout sending the browser back to the login page, axe-core on every page reached, a
 * phone-sized screen and keyboard focus. One service, one browser for all of it.
 *
 * <p>Needs what {@link SwaggerLoginIT} needs (Chromium, Node.js, {@code npm ci} in {@code src/test/browser}); it
 * fails, never skips, when one is missing. With {@code HOLDFAST_SCREENSHOTS=docs/dashboard} it also writes the
 * screenshots docs/dashboard.md shows.
 */
class DashboardIT {
    static final String CATALOG = "holdfast_dashit" + TestDatabase.SUFFIX;
    static final String APP = "holdfast_dashit_app" + TestDatabase.SUFFIX;
    static final Path SCRIPT = SwaggerLoginIT.BROWSER_DIR.resolve("dashboard.mjs");
    /** The tables picked in the form; the first one is locked while the page shows the job waiting for it. */
    static final List<String> TABLES = List.of("public.employee", "Audit.EventLog");
    /** The database the admin restores the backup into (source {@code restored}): the source's copy, rows lost. */
    static final String TARGET = "holdfast_dashit_restored" + TestDatabase.SUFFIX;

    static final ObjectMapper JSON = new ObjectMapper();
    static final HttpClient HTTP = HttpClient.newHttpClient();

    static KeycloakServer keycloak;
    static PackagedService service;
    static Path storage;
    /** Role to the Keycloak user created for it this run, and that user's password. */
    static final Map<String, String> users = new HashMap<>();

    static final Map<String, String> passwords = new HashMap<>();

    /** The restore target's table hashes when the test prepared it, and whether each later check found them so. */
    static Map<String, String> targetPrepared;

    static final List<Boolean> targetUnchanged = new ArrayList<>();

    /** The restore target's table hashes right after the confirmed restore. */
    static Map<String, String> targetRestored;

    @BeforeAll
    static void start() throws Exception {
        SwaggerLoginIT.assertBrowserInstalled();
        keycloak = KeycloakServer.get();
        for (String role : List.of("viewer", "operator", "admin")) {
            String user = "dash-" + role + "-" + SwaggerLoginIT.randomSecret().substring(0, 8);
            String password = SwaggerLoginIT.randomSecret();
            keycloak.createUser(user, password, "backup-" + role);
            users.put(role, user);
            passwords.put(role, password);
        }
        TestDatabase.dropDatabase(CATALOG);
        TestDatabase.dropDatabase(APP);
        TestDatabase.dropDatabase(TARGET);
        TestDatabase.ensureDatabase(CATALOG);
        TestDatabase.ensureDatabase(APP);
        AppDatabase.load(APP);
        prepareTarget();
        storage = Files.createTempDirectory("holdfast-dashboard-it");
        service = PackagedService.start(
                new PackagedService.Settings(
                        CATALOG, APP, storage, PackagedService.Settings.newKey(), keycloak.realmUrl()),
                "dashboard-it",
                "target/dashboard-it.log",
                Map.of(
                        "QUARKUS_OIDC_AUTH_SERVER_URL",
                        keycloak.realmUrl(),
                        "HOLDFAST_UI_SESSION_SECRET",
                        SwaggerLoginIT.randomSecret(),
                        // The job waits for the table the test locks while the page shows it waiting; the default
                        // 10 s would fail it on a slow machine before the test releases the lock.
                        "HOLDFAST_COPY_LOCK_TIMEOUT",
                        "3m",
                        // The restore target is a configured source, so a pre-restore backup covers it (rollback).
                        "HOLDFAST_DATABASES_RESTORED_JDBC_URL",
                        TestDatabase.url(TARGET),
                        "HOLDFAST_DATABASES_RESTORED_USERNAME",
                        TestDatabase.USER,
                        "HOLDFAST_DATABASES_RESTORED_PASSWORD",
                        TestDatabase.PASSWORD));
        keycloak.allowRedirect("holdfast-dashboard", base() + "/ui/*");
    }

    @AfterAll
    static void stop() throws Exception {
        if (service != null) {
            service.stop();
        }
        TestDatabase.dropDatabase(APP);
        TestDatabase.dropDatabase(TARGET);
        TestDatabase.dropDatabase(CATALOG);
        if (storage != null) {
            try (Stream<Path> files = Files.walk(storage)) {
                files.sorted(Comparator.reverseOrder()).map(Path::toFile).forEach(File::delete);
            }
        }
    }

    static String base() {
        return "http://127.0.0.1:" + service.port;
    }

    @Test
    void threeRolesUseTheDashboardThroughKeycloak() throws Exception {
        JsonNode r = runBrowser();
        assertThat(r.path("ok").asBoolean())
                .as("browser run failed at '%s': %s (screenshots in target/browser)", r.path("failed_step"), r)
                .isTrue();

        // Every role logged in on Keycloak's own page: the dashboard's public client, code flow with PKCE S256.
        for (String role : List.of("viewer", "operator", "admin")) {
            JsonNode login = r.path(role).path("login");
            assertThat(login.path("page").asText()).isEqualTo(keycloak.realmUrl() + "/protocol/openid-connect/auth");
            assertThat(login.path("client_id").asText()).isEqualTo("holdfast-dashboard");
            assertThat(login.path("response_type").asText()).isEqualTo("code");
            assertThat(login.path("code_challenge_method").asText()).isEqualTo("S256");
            assertThat(login.path("redirect_uri").asText()).isEqualTo(base() + "/ui");
            assertThat(login.path("landed_on").asText()).isEqualTo("/ui");
            assertThat(login.path("who").asText()).isEqualTo(users.get(role) + " (" + role + ")");
            JsonNode offered = r.path(role).path("offered");
            assertThat(texts(offered.path("overview_sources")))
                    .as(role)
                    .containsExactlyInAnyOrder("app (database)", "restored (database)");
            assertThat(texts(offered.path("overview_states")))
                    .as(role)
                    .containsExactlyInAnyOrder("OK", "No backup yet");
            assertThat(texts(offered.path("list_rows"))).as(role).containsExactly("from-the-browser");
            assertThat(offered.path("detail_status").asText()).isEqualTo("SUCCEEDED");
        }

        // What each role is offered (the server refuses the rest anyway: the forged POST below).
        JsonNode viewer = r.at("/viewer/offered");
        assertThat(viewer.path("list_new_backup").asBoolean()).isFalse();
        assertThat(texts(viewer.path("detail_buttons"))).isEmpty();
        assertThat(texts(viewer.path("detail_links"))).isEmpty();
        JsonNode operator = r.at("/operator/offered");
        assertThat(operator.path("list_new_backup").asBoolean()).isTrue();
        assertThat(texts(operator.path("detail_buttons"))).containsExactly("Verify");
        assertThat(texts(operator.path("detail_links"))).isEmpty();
        JsonNode admin = r.at("/admin/offered");
        assertThat(admin.path("list_new_backup").asBoolean()).isTrue();
        assertThat(texts(admin.path("detail_buttons"))).containsExactly("Verify", "Protect", "Delete");
        assertThat(texts(admin.path("detail_links"))).containsExactly("Restore…", "Download archive");

        assertBackupFromTheForm(r);
        assertViewerRefused(r);
        assertRestored(r);

        // An expired session (provider's session over, cookie gone) leads to the login page, then back to the page.
        assertThat(r.at("/expired/session_cookies_cleared").asInt()).isPositive();
        assertThat(r.at("/expired/status").asInt()).isEqualTo(200);
        assertThat(r.at("/expired/at").asText()).isEqualTo(keycloak.realmUrl() + "/protocol/openid-connect/auth");
        assertThat(r.at("/expired/shows_login_form").asBoolean()).isTrue();
        assertThat(r.at("/expired/after_login").asText()).isEqualTo("/ui/backups");
        assertThat(r.at("/expired/heading").asText()).isEqualTo("Backups");

        // Logout ends the session here and at the provider: the next visit asks for the password again.
        assertThat(r.at("/logout/landed_on").asText()).isEqualTo("/ui/logged-out");
        assertThat(r.at("/logout/heading").asText()).isEqualTo("Logged out");
        assertThat(r.at("/logout/session_cookies_before").asInt()).isPositive();
        assertThat(r.at("/logout/session_cookies").asInt()).isZero();
        assertThat(r.at("/logout/next_visit").asText())
                .isEqualTo(keycloak.realmUrl() + "/protocol/openid-connect/auth");

        assertAccessible(r);
    }

    /** The operator's backup: live progress on its page, then SUCCEEDED, and in the catalog with the picked tables. */
    void assertBackupFromTheForm(JsonNode r) throws Exception {
        JsonNode op = r.path("operator");
        assertThat(texts(op.path("form_tables"))).as("the source's real tables").containsAll(TABLES);
        assertThat(texts(op.path("form_tables"))).contains("public.Order", "sales.measurement");
        // While the test held its lock the job was waiting in its snapshot phase, and the page said so.
        assertThat(op.path("progress_while_locked").asText())
                .startsWith("running")
                .contains("snapshot");
        assertThat(op.path("progress_bar_while_locked").asInt()).isEqualTo(1);
        assertThat(op.path("final_state").asText()).isEqualTo("SUCCEEDED");
        assertThat(op.path("final_fragment").asText()).startsWith("Finished: SUCCEEDED");
        // The page followed the job without a reload: the observer installed in it saw the final fragment.
        assertThat(op.path("same_document").asBoolean()).isTrue();
        assertThat(texts(op.path("progress_fragments"))).anyMatch(f -> f.startsWith("Finished: SUCCEEDED"));

        JsonNode backup = api("/api/backups/" + r.path("backup_id").asText());
        assertThat(backup.path("name").asText()).isEqualTo("from-the-browser");
        assertThat(backup.path("description").asText()).isEqualTo("DashboardIT: picked tables");
        assertThat(backup.path("status").asText()).isEqualTo("SUCCEEDED");
        assertThat(backup.at("/options/compression").asText()).isEqualTo("gzip");
        List<String> tables = new ArrayList<>();
        for (JsonNode t : backup.at("/summary/databases/0/tables")) {
            String name = t.path("schema").asText() + "." + t.path("name").asText();
            tables.add(name);
            assertThat(t.path("rows").asLong()).as(name).isEqualTo(count(name)).isPositive();
        }
        assertThat(tables).containsExactlyInAnyOrderElementsOf(TABLES);
        assertThat(texts(op.path("detail_tables"))).containsExactlyInAnyOrderElementsOf(TABLES);
    }

    /**
     * The admin's restore into another database: the dry run reports rows now and after and changes nothing, a
     * wrong confirmation is refused, the typed one restores the lost and changed rows, row for row as the source.
     */
    void assertRestored(JsonNode r) {
        JsonNode restore = r.path("restore");
        assertThat(restore.path("submit_label").asText()).isEqualTo("Dry run (changes nothing)");
        JsonNode dry = restore.path("dry_run");
        assertThat(dry.path("heading").asText()).startsWith("Dry run of backup");
        assertThat(dry.path("status").asText()).isEqualTo("SUCCEEDED");
        assertThat(dry.path("mode").asText()).contains("dry run: nothing was changed");
        assertThat(dry.path("summary").asText()).startsWith("Would load 5 rows").endsWith("not committed.");
        assertThat(rowsNowAndAfter(dry))
                .containsExactlyInAnyOrderEntriesOf(Map.of("public.employee", "2 -> 3", "Audit.EventLog", "0 -> 2"));
        assertThat(restore.path("confirm_label").asText()).isEqualTo("Type " + TARGET + " to confirm");
        assertThat(restore.at("/wrong_name/status").asInt()).isEqualTo(403);
        assertThat(restore.at("/wrong_name/page").asText())
                .contains("To restore, type exactly: " + TARGET + " (nothing was changed).");
        // Checked in PostgreSQL after the dry run and after the refused confirmation.
        assertThat(targetUnchanged.subList(0, 2)).containsExactly(true, true);

        JsonNode real = restore.path("real");
        assertThat(real.path("heading").asText()).startsWith("Restore of backup");
        assertThat(real.path("status").asText()).isEqualTo("SUCCEEDED");
        assertThat(real.path("summary").asText()).startsWith("Loaded 5 rows").endsWith("; committed.");
        assertThat(rowsNowAndAfter(real))
                .containsExactlyInAnyOrderEntriesOf(Map.of("public.employee", "2 -> 3", "Audit.EventLog", "0 -> 2"));
        assertThat(real.path("checks").asInt()).isPositive();
        assertThat(real.path("failed_checks").asInt()).isZero();

        // Row for row: the restored tables hash as the source's, every other table of the target as it was.
        Map<String, String> source = AppDatabase.tableHashes(APP);
        Map<String, String> restored = new HashMap<>(targetRestored);
        for (String table : TABLES) {
            String key = key(table);
            assertThat(restored.get(key)).as(table).isEqualTo(source.get(key)).isNotEqualTo(targetPrepared.get(key));
        }
        restored.keySet().removeAll(TABLES.stream().map(DashboardIT::key).toList());
        Map<String, String> untouched = new HashMap<>(targetPrepared);
        untouched.keySet().removeAll(TABLES.stream().map(DashboardIT::key).toList());
        assertThat(restored).isEqualTo(untouched);

        // Rollback, offered while the pre-restore backup exists, brings the target back to before the restore.
        assertThat(restore.path("rollback_offered").asBoolean()).isTrue();
        JsonNode rollback = restore.path("rollback");
        assertThat(rollback.path("heading").asText()).startsWith("Rollback of backup");
        assertThat(rollback.path("status").asText()).isEqualTo("SUCCEEDED");
        assertThat(targetUnchanged).containsExactly(true, true, true);
    }

    static Map<String, String> rowsNowAndAfter(JsonNode restore) {
        Map<String, String> out = new HashMap<>();
        restore.path("tables")
                .forEach(t -> out.put(
                        t.path("table").asText(),
                        t.path("rows_now").asText() + " -> "
                                + t.path("rows_after").asText()));
        return out;
    }

    static String key(String table) {
        String[] parts = table.split("\\.", 2);
        return AppDatabase.key(parts[0], parts[1]);
    }

    /** The source's copy with two rows of the backed-up tables lost and one changed; other tables as they are. */
    static void prepareTarget() {
        TestDatabase.ensureDatabase(TARGET);
        AppDatabase.load(TARGET);
        AppDatabase.exec(
                TARGET,
                "DELETE FROM public.employee WHERE name = 'worker'",
                "UPDATE public.employee SET name = 'renamed' WHERE manager_id IS NULL",
                "DELETE FROM \"Audit\".\"EventLog\"");
        targetPrepared = AppDatabase.tableHashes(TARGET);
    }

    /** A viewer gets the 403 page for the create form and for a forged delete, and the backup is still there. */
    void assertViewerRefused(JsonNode r) throws Exception {
        JsonNode v = r.path("viewer");
        assertThat(v.path("new_backup_status").asInt()).isEqualTo(403);
        assertThat(v.path("new_backup_page").asText()).contains("Not allowed", "This needs the backup-operator role.");
        assertThat(v.at("/csrf_cookie/http_only").asBoolean()).isTrue();
        assertThat(v.at("/csrf_cookie/same_site").asText()).isEqualTo("Strict");
        assertThat(v.at("/forged_post/status").asInt()).isEqualTo(403);
        assertThat(v.at("/forged_post/heading").asText()).isEqualTo("Not allowed");
        assertThat(v.at("/forged_post/reason").asText()).isEqualTo("This needs the backup-admin role.");
        JsonNode backup = api("/api/backups/" + r.path("backup_id").asText());
        assertThat(backup.path("status").asText()).isEqualTo("SUCCEEDED");
        assertThat(backup.path("deleted_at").isMissingNode()
                        || backup.path("deleted_at").isNull())
                .isTrue();
    }

    /** axe-core on every page, no CSP violation, a phone-sized screen without sideways scrolling, keyboard focus. */
    void assertAccessible(JsonNode r) {
        assertThat(texts(r.path("pages_audited")))
                .contains(
                        "overview (viewer)",
                        "new backup (operator)",
                        "restore form (admin)",
                        "dry run (admin)",
                        "rollback (admin)",
                        "audit (admin)",
                        "forbidden (viewer)",
                        "logged out")
                .hasSizeGreaterThan(25);
        r.path("axe")
                .fields()
                .forEachRemaining(page -> assertThat(page.getValue())
                        .as("serious or critical axe-core violations on %s: %s", page.getKey(), page.getValue())
                        .isEmpty());
        assertThat(r.path("csp_violations")).as("%s", r.path("csp_violations")).isEmpty();

        r.path("phone")
                .fields()
                .forEachRemaining(page -> assertThat(
                                page.getValue().path("scroll_width").asInt())
                        .as("%s at 390 px scrolls sideways", page.getKey())
                        .isLessThanOrEqualTo(page.getValue().path("inner_width").asInt()));
        assertThat(r.path("phone").size()).isEqualTo(3);

        List<JsonNode> nav = new ArrayList<>();
        r.path("keyboard").forEach(f -> {
            if (f.path("in_main_nav").asBoolean()) {
                nav.add(f);
            }
        });
        assertThat(texts(r.path("nav_links"))).contains("/ui", "/ui/backups", "/ui/restores", "/ui/logout");
        assertThat(nav).extracting(f -> f.path("href").asText()).containsAll(texts(r.path("nav_links")));
        for (JsonNode f : nav) {
            assertThat(f.path("focus_visible").asBoolean()).as("%s", f).isTrue();
            assertThat(f.path("outline").asText().startsWith("none")
                            && f.path("box_shadow").asText().equals("none"))
                    .as("no visible focus on %s", f)
                    .isFalse();
        }
    }

    /**
     * Runs the browser script; answers its signals (lock or release a table of the source, end a user's sessions at
     * the provider) and returns the JSON line it prints last.
     */
    static JsonNode runBrowser() throws Exception {
        Path out = Path.of("target/browser").toAbsolutePath();
        Files.createDirectories(out);
        Path stderr = out.resolve("dashboard.stderr.log");
        ProcessBuilder pb = new ProcessBuilder("node", SCRIPT.getFileName().toString())
                .directory(SwaggerLoginIT.BROWSER_DIR.toFile())
                .redirectError(stderr.toFile());
        Map<String, String> env = pb.environment();
        env.put("BASE_URL", base());
        for (String role : List.of("viewer", "operator", "admin")) {
            String upper = role.toUpperCase(Locale.ROOT);
            env.put(upper + "_USER", users.get(role));
            env.put(upper + "_PASSWORD", passwords.get(role));
        }
        env.put("SOURCE", "app");
        env.put("TABLES", String.join(",", TABLES));
        env.put("RESTORE_TARGET", TARGET);
        env.put("CHROMIUM", SwaggerLoginIT.CHROMIUM);
        env.put("ARTIFACTS", out.toString());
        String screenshots = System.getenv("HOLDFAST_SCREENSHOTS");
        if (screenshots != null && !screenshots.isBlank()) {
            env.put("SCREENSHOTS", Path.of(screenshots).toAbsolutePath().toString());
        }
        Process node = pb.start();
        // Each step of the script has its own timeout, so it ends by itself; this only guards against a hang.
        Thread guard = new Thread(() -> {
            try {
                if (!node.waitFor(8, TimeUnit.MINUTES)) {
                    node.descendants().forEach(ProcessHandle::destroyForcibly);
                    node.destroyForcibly();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        guard.setDaemon(true);
        guard.start();
        Connection lock = null;
        String last = "";
        StringBuilder printed = new StringBuilder();
        try (BufferedReader lines =
                        new BufferedReader(new InputStreamReader(node.getInputStream(), StandardCharsets.UTF_8));
                Writer answers = new OutputStreamWriter(node.getOutputStream(), StandardCharsets.UTF_8)) {
            for (String line; (line = lines.readLine()) != null; ) {
                printed.append(line).append('\n');
                last = line;
                if (!line.startsWith("signal ")) {
                    continue;
                }
                String[] signal = line.split(" ", 3);
                switch (signal[1]) {
                    case "lock" -> lock = lockTable(signal[2]);
                    case "release" -> {
                        lock.rollback();
                        lock.close();
                        lock = null;
                    }
                    case "end-sessions" -> keycloak.endSessions(signal[2]);
                    case "check-target-restored" -> targetRestored = AppDatabase.tableHashes(TARGET);
                    case "check-target-unchanged" ->
                        targetUnchanged.add(AppDatabase.tableHashes(TARGET).equals(targetPrepared));
                    default -> throw new IllegalStateException("unknown signal " + line);
                }
                answers.write("ok\n");
                answers.flush();
            }
        } finally {
            if (lock != null) {
                lock.close();
            }
        }
        node.waitFor(1, TimeUnit.MINUTES);
        if (!last.startsWith("{")) {
            throw new IllegalStateException(
                    "the browser script printed no result; stdout: " + printed + "stderr: " + Files.readString(stderr));
        }
        return JSON.readTree(last);
    }

    /** Holds an ACCESS EXCLUSIVE lock on a table of the source until the connection rolls back. */
    static Connection lockTable(String table) throws Exception {
        Connection c = TestDatabase.connect(APP);
        c.setAutoCommit(false);
        try (Statement st = c.createStatement()) {
            st.execute("LOCK TABLE " + quoted(table) + " IN ACCESS EXCLUSIVE MODE");
        }
        return c;
    }

    static long count(String table) throws Exception {
        try (Connection c = TestDatabase.connect(APP);
                Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT count(*) FROM " + quoted(table))) {
            rs.next();
            return rs.getLong(1);
        }
    }

    static String quoted(String table) {
        String[] parts = table.split("\\.", 2);
        return "\"" + parts[0] + "\".\"" + parts[1] + "\"";
    }

    /** GET on the API with a token Keycloak issued to the realm's operator client (client credentials). */
    static JsonNode api(String path) throws Exception {
        String form = "grant_type=client_credentials&client_id=holdfast-cronjob&client_secret="
                + URLEncoder.encode(keycloak.clientSecret("holdfast-cronjob"), StandardCharsets.UTF_8);
        HttpResponse<String> token = HTTP.send(
                HttpRequest.newBuilder(URI.create(keycloak.realmUrl() + "/protocol/openid-connect/token"))
                        .header("Content-Type", "application/x-www-form-urlencoded")
                        .POST(HttpRequest.BodyPublishers.ofString(form))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(token.statusCode()).as(token.body()).isEqualTo(200);
        HttpResponse<String> response = HTTP.send(
                HttpRequest.newBuilder(URI.create(base() + path))
                        .header(
                                "Authorization",
                                "Bearer "
                                        + JSON.readTree(token.body())
                                                .path("access_token")
                                                .asText())
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode())
                .as("GET %s: %s", path, response.body())
                .isEqualTo(200);
        return JSON.readTree(response.body());
    }

    static List<String> texts(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asText()));
        return out;
    }
}
