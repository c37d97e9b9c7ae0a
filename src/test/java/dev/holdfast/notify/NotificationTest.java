package dev.holdfast.notify;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.holdfast.archive.ArchiveReader;
import dev.holdfast.archive.Manifest;
import dev.holdfast.backup.BackupApiTest;
import dev.holdfast.backup.BackupRequest;
import dev.holdfast.backup.BackupService;
import dev.holdfast.support.AppDatabase;
import dev.holdfast.support.MailServer;
import dev.holdfast.support.TestDatabase;
import dev.holdfast.support.TestResources;
import dev.holdfast.support.Tokens;
import dev.holdfast.support.WebhookReceiver;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import jakarta.inject.Inject;
import jakarta.mail.Message;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeMessage;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.time.Duration;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Notifications end to end: backups linked to a schedule row whose settings name recipients and
 * webhooks, a real SMTP server (GreenMail) and real HTTP endpoints. Notifications go out on one
 * thread in tests ({@code %test.holdfast.notifications.threads=1}), in the order they were queued,
 * which is what lets a test show that a message was <em>not</em> sent: had it been, it would have
 * arrived before the one the test waits for.
 */
@QuarkusTest
class NotificationTest {
    static final Object RESOURCES = TestResources.class;
    static final ObjectMapper JSON = new ObjectMapper();
    static final Duration WAIT = Duration.ofSeconds(60);

    @MailServer.Inject
    MailServer mail;

    @WebhookReceiver.Inject
    WebhookReceiver hooks;

    @Inject
    BackupService backups;

    @Inject
    ObjectMapper mapper;

    @BeforeEach
    void fixture() {
        AppDatabase.reset();
    }

    @AfterEach
    void cleanUp() {
        mail.startSmtp();
        hooks.releaseHanging();
    }

    // --- email ----------------------------------------------------------------------------------

    @Test
    void aFailedScheduledBackupEmailsItsRecipientsWithTheErrorAndALink() throws Exception {
        String ops = address("ops");
        String dba = address("dba");
        String schedule = "nightly-" + suffix();
        UUID scheduleId = schedule(schedule, "{\"email_to\":[\"" + ops + "\",\"" + dba + "\"]}");
        String name = "ntf-fail-" + suffix();
        JsonNode b;
        try (Connection locker = TestDatabase.connect(TestDatabase.APP_DB);
                Statement st = locker.createStatement()) {
            locker.setAutoCommit(false);
            st.execute("LOCK TABLE sales.customer IN ACCESS EXCLUSIVE MODE");
            b = BackupApiTest.awaitBackup(
                    scheduled(scheduleId, "{\"name\":\"" + name + "\",\"backup_type\":" + "\"database\"}"));
            locker.rollback();
        }
        assertThat(b.get("status").asText()).isEqualTo("FAILED");
        String id = b.get("id").asText();
        String error = b.get("error").asText();
        assertThat(error).contains("customer");

        MimeMessage m = awaitMail(ops, name);
        assertThat(m.getSubject()).isEqualTo("[Holdfast] Backup '" + name + "' FAILED");
        assertThat(Arrays.stream(m.getRecipients(Message.RecipientType.TO))
                        .map(a -> ((InternetAddress) a).getAddress()))
                .containsExactlyInAnyOrder(ops, dba);
        assertThat(((InternetAddress) m.getFrom()[0]).getAddress()).isEqualTo("holdfast@localhost");
        assertThat(m.getHeader("X-Holdfast-Event")[0]).isEqualTo("backup.failed");
        String text = MailServer.part(m, "text/plain");
        assertThat(text)
                .contains("Backup '" + name + "' failed.")
                .containsPattern("Outcome: +FAILED")
                .containsPattern("Type: +database")
                .containsPattern("Sources: +databases app")
                .containsPattern("Trigger: +schedule '" + schedule + "' \\(" + scheduleId + "\\)\n")
                .contains(error.lines().findFirst().orElseThrow())
                .containsPattern("Backup id: +" + id)
                .containsPattern("Details: +https://holdfast.test/api/backups/" + id + "\n")
                .containsPattern("Finished: +20[0-9-]+T[0-9:]+Z \\(UTC\\)")
                .doesNotContain("Size:");
        assertThat(MailServer.part(m, "text/html"))
                .contains("<a href=\"https://holdfast.test/api/backups/" + id + "\">")
                .contains("Backup &#39;" + name + "&#39; failed.");
        // One message for both recipients: the second mailbox holds the same one.
        assertThat(awaitMail(dba, name).getMessageID()).isEqualTo(m.getMessageID());
    }

    @Test
    void successEmailsAreOptInAndReportSizeRowsAndDuration() throws Exception {
        String quiet = address("quiet");
        String loud = address("loud");
        // Same recipients model, on_success unset: the global default (false) applies.
        UUID quietSchedule = schedule("quiet-" + suffix(), "{\"email_to\":[\"" + quiet + "\"]}");
        UUID loudSchedule = schedule("loud-" + suffix(), "{\"on_success\":true,\"email_to\":[\"" + loud + "\"]}");
        String quietName = "ntf-quiet-" + suffix();
        String loudName = "ntf-loud-" + suffix();
        JsonNode q = BackupApiTest.awaitBackup(
                scheduled(quietSchedule, "{\"name\":\"" + quietName + "\",\"backup_type\":\"database\"}"));
        assertThat(q.get("status").asText()).isEqualTo("SUCCEEDED");
        JsonNode b = BackupApiTest.awaitBackup(
                scheduled(loudSchedule, "{\"name\":\"" + loudName + "\",\"backup_type\":\"database\"}"));
        assertThat(b.get("status").asText()).isEqualTo("SUCCEEDED");

        MimeMessage m = awaitMail(loud, loudName);
        assertThat(m.getSubject()).isEqualTo("[Holdfast] Backup '" + loudName + "' SUCCEEDED");
        long size = b.get("size_bytes").asLong();
        long rows = 0;
        for (JsonNode d : b.get("summary").get("databases")) {
            rows += d.get("rows").asLong();
        }
        assertThat(rows).isPositive();
        String text = MailServer.part(m, "text/plain");
        assertThat(text)
                .containsPattern("Outcome: +SUCCEEDED")
                .containsPattern("Size: +[0-9.]+ (KiB|MiB) \\(" + String.format(Locale.ROOT, "%,d", size) + " bytes\\)")
                .containsPattern("Rows: +" + String.format(Locale.ROOT, "%,d", rows) + "\n")
                .containsPattern("Duration: +[0-9.]+ (ms|s)\n")
                .contains("https://holdfast.test/api/backups/" + b.get("id").asText())
                .doesNotContain("Error:");
        // The quiet schedule's success was queued first and would have arrived first.
        assertThat(mail.messagesTo(quiet)).isEmpty();
    }

    @Test
    void aBackupSucceedsWhileTheMailServerIsDownAndTheFailureIsCounted() throws Exception {
        String to = address("down");
        UUID scheduleId = schedule("down-" + suffix(), "{\"on_success\":true,\"email_to\":[\"" + to + "\"]}");
        double failedBefore = metric("holdfast_notifications_failed_total", "email");
        double sentBefore = metric("holdfast_notifications_sent_total", "email");
        mail.stopSmtp();
        try {
            JsonNode b = BackupApiTest.awaitBackup(
                    scheduled(scheduleId, "{\"name\":\"ntf-down-" + suffix() + "\",\"backup_type\":\"database\"}"));
            assertThat(b.get("status").asText()).isEqualTo("SUCCEEDED");
            assertThat(given().auth()
                            .oauth2(Tokens.viewer())
                            .get("/api/jobs/{id}", b.get("job_id").asText())
                            .jsonPath()
                            .getString("state"))
                    .isEqualTo("SUCCEEDED");
            await().atMost(WAIT)
                    .until(() -> metric("holdfast_notifications_failed_total", "email") >= failedBefore + 1);
        } finally {
            mail.startSmtp();
        }
        assertThat(metric("holdfast_notifications_sent_total", "email")).isEqualTo(sentBefore);

        // Once the server is back, the next notification goes out again.
        String name = "ntf-back-" + suffix();
        BackupApiTest.awaitBackup(scheduled(scheduleId, "{\"name\":\"" + name + "\",\"backup_type\":\"database\"}"));
        assertThat(awaitMail(to, name).getSubject()).endsWith("SUCCEEDED");
        await().atMost(WAIT).until(() -> metric("holdfast_notifications_sent_total", "email") >= sentBefore + 1);
    }

    // --- webhooks -------------------------------------------------------------------------------

    @Test
    void webhookDeliveriesAreSignedAndCarryTheBackup() throws Exception {
        String schedule = "hooked-" + suffix();
        // failures-only first: had it been (wrongly) sent this success, it would have been received first.
        UUID scheduleId = schedule(
                schedule, "{\"on_success\":true,\"email_to\":[]," + "\"webhooks\":[\"failures-only\",\"receiver\"]}");
        String name = "ntf-hook-" + suffix();
        JsonNode b = BackupApiTest.awaitBackup(
                scheduled(scheduleId, "{\"name\":\"" + name + "\",\"backup_type\":\"database\"}"));
        assertThat(b.get("status").asText()).isEqualTo("SUCCEEDED");
        String id = b.get("id").asText();

        WebhookReceiver.Request r = awaitHook("/ok/receiver", id).get(0);
        assertThat(r.header("Content-Type")).isEqualTo("application/json");
        assertThat(r.header("X-Holdfast-Event")).isEqualTo("backup.succeeded");
        assertThat(UUID.fromString(r.header("X-Holdfast-Delivery"))).isNotNull();
        long ts = Long.parseLong(r.header("X-Holdfast-Timestamp"));
        assertThat(r.header("X-Holdfast-Signature"))
                .isEqualTo("sha256="
                        + hmac(WebhookReceiver.SECRET, ts + "." + new String(r.body(), StandardCharsets.UTF_8)));
        assertThat(WebhookSignature.verify(WebhookReceiver.SECRET, ts, r.body(), r.header("X-Holdfast-Signature")))
                .isTrue();
        assertThat(WebhookSignature.verify("another secret", ts, r.body(), r.header("X-Holdfast-Signature")))
                .isFalse();

        JsonNode body = JSON.readTree(r.body());
        assertThat(body.get("event").asText()).isEqualTo("backup.succeeded");
        JsonNode jb = body.get("backup");
        assertThat(jb.get("id").asText()).isEqualTo(id);
        assertThat(jb.get("name").asText()).isEqualTo(name);
        assertThat(jb.get("type").asText()).isEqualTo("database");
        assertThat(jb.get("status").asText()).isEqualTo("SUCCEEDED");
        assertThat(jb.get("databases").toString()).isEqualTo("[\"app\"]");
        assertThat(jb.get("trigger").asText()).isEqualTo("schedule");
        assertThat(jb.get("schedule_id").asText()).isEqualTo(scheduleId.toString());
        assertThat(jb.get("schedule_name").asText()).isEqualTo(schedule);
        assertThat(jb.get("size_bytes").asLong()).isEqualTo(b.get("size_bytes").asLong());
        assertThat(jb.get("rows").asLong()).isPositive();
        assertThat(jb.get("error").isNull()).isTrue();
        assertThat(jb.get("url").asText()).isEqualTo("https://holdfast.test/api/backups/" + id);
        assertThat(body.get("occurred_at").asText())
                .isEqualTo(jb.get("finished_at").asText());

        assertThat(deliveriesFor(hooks.requests("/ok/failures-only"), id)).isEmpty();
    }

    @Test
    void failingHangingAndUnknownWebhooksNeitherDelayNorFailTheBackup() throws Exception {
        UUID scheduleId = schedule(
                "flaky-" + suffix(),
                "{\"on_success\":true,\"email_to\":[],"
                        + "\"webhooks\":[\"hanging\",\"failing\",\"no-such-hook\",\"receiver\"]}");
        double failedBefore = metric("holdfast_notifications_failed_total", "webhook");
        double sentBefore = metric("holdfast_notifications_sent_total", "webhook");
        JsonNode b = BackupApiTest.awaitBackup(
                scheduled(scheduleId, "{\"name\":\"ntf-flaky-" + suffix() + "\",\"backup_type\":\"database\"}"));
        assertThat(b.get("status").asText()).isEqualTo("SUCCEEDED");
        String id = b.get("id").asText();

        // The receiver's delivery was queued last: it arrives once the others were given up.
        awaitHook("/ok/receiver", id);
        List<WebhookReceiver.Request> failing = deliveriesFor(hooks.requests("/fail"), id);
        assertThat(failing).hasSize(3); // webhook-attempts
        assertThat(failing)
                .extracting(r -> r.header("X-Holdfast-Delivery"))
                .containsOnly(failing.get(0).header("X-Holdfast-Delivery"));
        for (WebhookReceiver.Request r : failing) {
            assertThat(WebhookSignature.verify(
                            WebhookReceiver.SECRET,
                            Long.parseLong(r.header("X-Holdfast-Timestamp")),
                            r.body(),
                            r.header("X-Holdfast-Signature")))
                    .isTrue();
        }
        assertThat(deliveriesFor(hooks.requests("/hang"), id)).hasSize(3);
        await().atMost(WAIT).until(() -> metric("holdfast_notifications_sent_total", "webhook") >= sentBefore + 1);
        // hanging (timed out), failing (500) and the unconfigured name.
        assertThat(metric("holdfast_notifications_failed_total", "webhook")).isGreaterThanOrEqualTo(failedBefore + 3);
        assertThat(BackupApiTest.awaitBackup(UUID.fromString(id)).get("status").asText())
                .isEqualTo("SUCCEEDED");
    }

    // --- restores and verifications ---------------------------------------------------------------

    @Test
    void aRestoreIsToldWithItsPreRestoreBackupWhichIsNotToldOnItsOwn() throws Exception {
        String to = address("restore");
        UUID scheduleId = schedule(
                "restored-" + suffix(),
                "{\"on_success\":true,\"email_to\":[\"" + to + "\"]," + "\"webhooks\":[\"receiver\"]}");
        String name = "ntf-restore-" + suffix();
        UUID backup = scheduled(scheduleId, "{\"name\":\"" + name + "\",\"backup_type\":\"database\"}");
        assertThat(BackupApiTest.awaitBackup(backup).get("status").asText()).isEqualTo("SUCCEEDED");
        awaitMail(to, "Backup '" + name + "' SUCCEEDED");

        Response rr = given().auth()
                .oauth2(Tokens.admin())
                .contentType("application/json")
                .body("{}")
                .post("/api/backups/{id}/restore", backup);
        rr.then().statusCode(202);
        String restoreId = rr.jsonPath().getString("resource.id");
        await().atMost(Duration.ofSeconds(180))
                .until(() -> !List.of("QUEUED", "RUNNING")
                        .contains(given().auth()
                                .oauth2(Tokens.viewer())
                                .get("/api/restores/{id}", restoreId)
                                .jsonPath()
                                .getString("status")));
        JsonNode r = JSON.readTree(given().auth()
                .oauth2(Tokens.viewer())
                .get("/api/restores/{id}", restoreId)
                .asString());
        assertThat(r.get("status").asText()).as(r.toString()).isEqualTo("SUCCEEDED");
        String pre = r.get("pre_backup_id").asText();

        MimeMessage m = awaitMail(to, "Restore of backup '" + name + "'");
        assertThat(m.getSubject()).isEqualTo("[Holdfast] Restore of backup '" + name + "' SUCCEEDED");
        String text = MailServer.part(m, "text/plain");
        assertThat(text)
                .containsPattern("Mode: +replace")
                .containsPattern("Dry run: +no")
                .containsPattern("Pre-restore backup: +" + pre)
                .containsPattern("Rows loaded: +[1-9]")
                .containsPattern("Requested by: +\\S+")
                .contains("https://holdfast.test/api/restores/" + restoreId)
                .contains("https://holdfast.test/api/backups/" + backup);
        // The pre-restore backup finished (and was queued) before the restore: no message of its own.
        assertThat(mail.messagesTo(to))
                .extracting(MimeMessage::getSubject)
                .hasSize(2)
                .noneMatch(s -> s.contains("pre-restore-"));

        JsonNode body =
                JSON.readTree(awaitHook("/ok/receiver", restoreId).get(0).body());
        assertThat(body.get("event").asText()).isEqualTo("restore.succeeded");
        assertThat(body.get("restore").get("id").asText()).isEqualTo(restoreId);
        assertThat(body.get("restore").get("pre_backup_id").asText()).isEqualTo(pre);
        assertThat(body.get("restore").get("mode").asText()).isEqualTo("replace");
        assertThat(body.get("restore").get("dry_run").asBoolean()).isFalse();
        assertThat(body.get("restore").get("rows").asLong()).isPositive();
        assertThat(body.get("backup").get("id").asText()).isEqualTo(backup.toString());
        assertThat(body.get("backup").get("name").asText()).isEqualTo(name);
        assertThat(hooks.requests("/ok/receiver"))
                .noneMatch(h -> h.header("X-Holdfast-Event").startsWith("backup.")
                        && deliveriesFor(List.of(h), pre).size() == 1);
    }

    @Test
    void aFailedVerificationIsToldToTheBackupsSchedule() throws Exception {
        String to = address("verify");
        UUID scheduleId =
                schedule("verified-" + suffix(), "{\"email_to\":[\"" + to + "\"]," + "\"webhooks\":[\"receiver\"]}");
        String name = "ntf-verify-" + suffix();
        UUID id = scheduled(scheduleId, "{\"name\":\"" + name + "\",\"backup_type\":\"database\"}");
        assertThat(BackupApiTest.awaitBackup(id).get("status").asText()).isEqualTo("SUCCEEDED");

        damageCustomerEntry(id);
        String job = given().auth()
                .oauth2(Tokens.operator())
                .post("/api/backups/{id}/verify", id)
                .then()
                .statusCode(202)
                .extract()
                .jsonPath()
                .getString("job.id");
        await().atMost(WAIT)
                .until(() -> "FAILED"
                        .equals(given().auth()
                                .oauth2(Tokens.viewer())
                                .get("/api/jobs/{id}", job)
                                .jsonPath()
                                .getString("state")));

        int problems = JSON.readTree(given().auth()
                        .oauth2(Tokens.viewer())
                        .get("/api/backups/{id}", id)
                        .asString())
                .get("verify_failures")
                .size();
        assertThat(problems).isPositive();
        MimeMessage m = awaitMail(to, "Verification of backup '" + name + "'");
        assertThat(m.getSubject()).isEqualTo("[Holdfast] Verification of backup '" + name + "' FAILED");
        assertThat(MailServer.part(m, "text/plain"))
                .containsPattern("Problems: +" + problems + " ")
                .containsPattern("Sources: +app")
                .contains("https://holdfast.test/api/backups/" + id);
        JsonNode body = JSON.readTree(deliveriesFor(awaitHook("/ok/receiver", id.toString()), id.toString()).stream()
                .filter(r -> "verify.failed".equals(r.header("X-Holdfast-Event")))
                .findFirst()
                .orElseThrow()
                .body());
        assertThat(body.get("verification").get("ok").asBoolean()).isFalse();
        assertThat(body.get("verification").get("failures").asInt()).isEqualTo(problems);
        assertThat(body.get("backup").get("name").asText()).isEqualTo(name);
    }

    @Test
    void aFailedDrillIsToldNamingSourceBackupAndTableAndItsRecoveryFollows() throws Exception {
        String to = address("drill");
        UUID scheduleId =
                schedule("drilled-" + suffix(), "{\"email_to\":[\"" + to + "\"]," + "\"webhooks\":[\"receiver\"]}");
        String name = "ntf-drill-" + suffix();
        UUID id = scheduled(scheduleId, "{\"name\":\"" + name + "\",\"backup_type\":\"database\"}");
        assertThat(BackupApiTest.awaitBackup(id).get("status").asText()).isEqualTo("SUCCEEDED");
        damageCustomerEntry(id);

        JsonNode failed = drill("{\"source\":\"app\",\"backup_id\":\"" + id + "\"}");
        assertThat(failed.get("status").asText()).as(failed.toString()).isEqualTo("FAILED");
        String drillId = failed.get("id").asText();
        MimeMessage m = awaitMail(to, "Restore drill of app");
        assertThat(m.getSubject()).isEqualTo("[Holdfast] Restore drill of app FAILED");
        assertThat(MailServer.part(m, "text/plain"))
                .containsPattern("Source: +app\n")
                .containsPattern("Backup: +'" + name + "' \\(" + id + "\\)\n")
                .containsPattern("Tables: +sales\\.customer\n")
                .containsPattern("Error: +.*sales\\.customer\\.copy")
                .contains("https://holdfast.test/api/drills/" + drillId);
        JsonNode body = JSON.readTree(deliveriesFor(awaitHook("/ok/receiver", drillId), drillId).stream()
                .filter(r -> "drill.failed".equals(r.header("X-Holdfast-Event")))
                .findFirst()
                .orElseThrow()
                .body());
        assertThat(body.get("drill").get("source").asText()).isEqualTo("app");
        assertThat(body.get("drill").get("status").asText()).isEqualTo("FAILED");
        assertThat(body.get("drill").get("failed_tables").toString()).isEqualTo("[\"sales.customer\"]");
        assertThat(body.get("backup").get("id").asText()).isEqualTo(id.toString());
        assertThat(body.get("backup").get("name").asText()).isEqualTo(name);

        // The next drill of the source passes: whoever heard of the failure hears it is over.
        UUID good = scheduled(scheduleId, "{\"name\":\"" + name + "-2\",\"backup_type\":\"database\"}");
        assertThat(BackupApiTest.awaitBackup(good).get("status").asText()).isEqualTo("SUCCEEDED");
        JsonNode passed = drill("{\"source\":\"app\",\"backup_id\":\"" + good + "\"}");
        assertThat(passed.get("status").asText()).as(passed.toString()).isEqualTo("SUCCEEDED");
        MimeMessage again = awaitMail(to, "passed again");
        assertThat(again.getSubject()).isEqualTo("[Holdfast] Restore drill of app passed again");
        assertThat(MailServer.part(again, "text/plain"))
                .contains(passed.get("id").asText());
        assertThat(deliveriesFor(
                        awaitHook("/ok/receiver", passed.get("id").asText()),
                        passed.get("id").asText()))
                .extracting(r -> r.header("X-Holdfast-Event"))
                .containsExactly("drill.recovered");
    }

    // --- helpers --------------------------------------------------------------------------------

    /** Flips a byte in the middle of the backup's sales.customer entry. */
    static void damageCustomerEntry(UUID backupId) throws Exception {
        var storage = BackupApiTest.STORAGE.resolve(backupId + ".tar");
        Manifest mf = ArchiveReader.open(storage).manifest();
        var entry = mf.entries().stream()
                .filter(e -> e.name().contains("customer"))
                .findFirst()
                .orElseThrow();
        try (RandomAccessFile f = new RandomAccessFile(storage.toFile(), "rw")) {
            long pos = entry.offset() + entry.storedSize() / 2;
            f.seek(pos);
            int v = f.read();
            f.seek(pos);
            f.write(v ^ 0x10);
        }
    }

    /** Runs a drill through the API and waits for it to end. */
    static JsonNode drill(String body) throws Exception {
        String id = given().auth()
                .oauth2(Tokens.operator())
                .contentType("application/json")
                .body(body)
                .post("/api/drills")
                .then()
                .statusCode(202)
                .extract()
                .jsonPath()
                .getString("resource.id");
        await().atMost(WAIT).until(() -> {
            String s = given().auth()
                    .oauth2(Tokens.viewer())
                    .get("/api/drills/{id}", id)
                    .jsonPath()
                    .getString("status");
            return !s.equals("QUEUED") && !s.equals("RUNNING");
        });
        return JSON.readTree(given().auth()
                .oauth2(Tokens.viewer())
                .get("/api/drills/{id}", id)
                .asString());
    }

    static String suffix() {
        return UUID.randomUUID().toString().substring(0, 8);
    }

    static String address(String who) {
        return who + "-" + suffix() + "@example.com";
    }

    /** A disabled schedule row (the scheduler never fires it) whose notification settings are given. */
    static UUID schedule(String name, String notificationsJson) throws Exception {
        UUID id = UUID.randomUUID();
        try (Connection c = TestDatabase.connect(TestDatabase.CATALOG_DB);
                PreparedStatement ps = c.prepareStatement("INSERT INTO holdfast.schedule (id, name, cron, enabled, "
                        + "backup_request, notifications) VALUES (?, ?, '0 3 * * *', false, '{}'::jsonb, ?::jsonb)")) {
            ps.setObject(1, id);
            ps.setString(2, name);
            ps.setString(3, notificationsJson);
            ps.executeUpdate();
        }
        return id;
    }

    /** A backup created as the schedule's run. */
    UUID scheduled(UUID scheduleId, String requestJson) throws Exception {
        BackupRequest req = mapper.readValue(requestJson, BackupRequest.class);
        return backups.createScheduled(req, scheduleId, "schedule", "notify-test")
                .id();
    }

    /** The first message in a mailbox whose subject contains the text. */
    MimeMessage awaitMail(String address, String subjectPart) {
        return await().atMost(WAIT)
                .until(
                        () -> mail.messagesTo(address).stream()
                                .filter(m -> {
                                    try {
                                        return m.getSubject().contains(subjectPart);
                                    } catch (jakarta.mail.MessagingException e) {
                                        throw new IllegalStateException(e);
                                    }
                                })
                                .findFirst()
                                .orElse(null),
                        m -> m != null);
    }

    /** Requests at a path whose body mentions the id (a backup's or a restore's). */
    static List<WebhookReceiver.Request> deliveriesFor(List<WebhookReceiver.Request> requests, String id) {
        return requests.stream()
                .filter(r -> new String(r.body(), StandardCharsets.UTF_8).contains("\"" + id + "\""))
                .toList();
    }

    List<WebhookReceiver.Request> awaitHook(String path, String id) {
        return await().atMost(WAIT).until(() -> deliveriesFor(hooks.requests(path), id), l -> !l.isEmpty());
    }

    static String hmac(String secret, String text) throws Exception {
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
        return HexFormat.of().formatHex(mac.doFinal(text.getBytes(StandardCharsets.UTF_8)));
    }

    /** A counter's value as Prometheus scrapes it. */
    static double metric(String name, String channel) {
        String body = given().get("/q/metrics").then().statusCode(200).extract().asString();
        Matcher m = Pattern.compile("(?m)^" + name + "\\{[^}]*channel=\"" + channel + "\"[^}]*} ([0-9.eE+-]+)$")
                .matcher(body);
        assertThat(m.find())
                .as(name + "{channel=" + channel + "} in /q/metrics")
                .isTrue();
        return Double.parseDouble(m.group(1));
    }
}
