package dev.holdfast.notify;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.holdfast.backup.BackupFinished;
import dev.holdfast.backup.BackupStatus;
import dev.holdfast.backup.VerificationFinished;
import dev.holdfast.config.NotificationConfig;
import dev.holdfast.job.JobStall;
import dev.holdfast.restore.RestoreFinished;
import dev.holdfast.restore.RestoreStatus;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.UUID;

/**
 * Renders finished backups, restores and failed verifications as a subject, a plain-text and an HTML
 * body, and a webhook JSON body. Pure functions of the event, so every line of a message is testable
 * without a mail server.
 */
public final class Messages {
    private static final JsonNodeFactory JSON = JsonNodeFactory.instance;
    private final String baseUrl;

    /** @param baseUrl public address of the service for links; null or blank: messages carry no links */
    public Messages(String baseUrl) {
        String b = baseUrl == null ? "" : baseUrl.strip();
        while (b.endsWith("/")) {
            b = b.substring(0, b.length() - 1);
        }
        this.baseUrl = b.isEmpty() ? null : b;
    }

    /** Facts a restore event does not carry, looked up in the catalog when the restore is told. */
    public record RestoreContext(String backupName, UUID preBackupId) {}

    /** A finished backup (SUCCEEDED or FAILED). */
    public Notification backup(BackupFinished e) {
        boolean ok = e.status() == BackupStatus.SUCCEEDED;
        String event = ok ? "backup.succeeded" : "backup.failed";
        String link = link("/api/backups/", e.backupId());
        Rows rows = new Rows()
                .add("Backup", "'" + e.name() + "'")
                .add("Outcome", e.status().name())
                .add("Type", e.type().jsonName())
                .add("Sources", sources(e.databases(), e.media()))
                .add("Trigger", trigger(e.trigger(), e.scheduleName(), e.scheduleId()))
                .add("Error", e.error())
                .add("Size", e.sizeBytes() == null ? null : size(e.sizeBytes()))
                .add("Rows", ok ? String.format(Locale.ROOT, "%,d", e.rows()) : null)
                .add("Data read", ok && e.rawBytes() > 0 ? size(e.rawBytes()) : null)
                .add("Duration", duration(e.startedAt(), e.finishedAt()))
                .add("Started", time(e.startedAt()))
                .add("Finished", time(e.finishedAt()))
                .add("Backup id", e.backupId().toString())
                .link("Details", link);

        ObjectNode b = JSON.objectNode();
        b.put("id", e.backupId().toString());
        b.put("name", e.name());
        b.put("type", e.type().jsonName());
        b.put("status", e.status().name());
        b.set("databases", strings(e.databases()));
        b.set("media", strings(e.media()));
        b.put("trigger", e.trigger());
        b.put("schedule_id", e.scheduleId() == null ? null : e.scheduleId().toString());
        b.put("schedule_name", e.scheduleName());
        b.put("size_bytes", e.sizeBytes());
        b.put("rows", e.rows());
        b.put("raw_bytes", e.rawBytes());
        b.put("started_at", iso(e.startedAt()));
        b.put("finished_at", iso(e.finishedAt()));
        b.put("duration_seconds", e.durationSeconds());
        b.put("error", e.error());
        b.put("url", link);
        ObjectNode payload = payload(event, e.finishedAt());
        payload.set("backup", b);

        String subject = "[Holdfast] Backup '" + e.name() + "' " + e.status().name();
        return notification(
                event,
                ok,
                "backup " + e.backupId() + " '" + e.name() + "'",
                subject,
                "Backup '" + e.name() + "' " + e.status().name().toLowerCase(Locale.ROOT) + ".",
                rows,
                payload);
    }

    /** A finished restore, dry run or rollback (SUCCEEDED or FAILED). */
    public Notification restore(RestoreFinished e, RestoreContext ctx) {
        boolean ok = e.status() == RestoreStatus.SUCCEEDED;
        String event = ok ? "restore.succeeded" : "restore.failed";
        String what = e.dryRun() ? "Dry-run restore" : e.rollbackOf() != null ? "Rollback" : "Restore";
        String backupName = ctx.backupName() == null ? e.backupId().toString() : ctx.backupName();
        String link = link("/api/restores/", e.restoreId());
        String backupLink = link("/api/backups/", e.backupId());
        Rows rows = new Rows()
                .add("Restore of", "backup '" + backupName + "' (" + e.backupId() + ")")
                .add("Outcome", e.status().name())
                .add("Mode", e.mode())
                .add("Dry run", e.dryRun() ? "yes: nothing was changed" : "no")
                .add("Rollback of", e.rollbackOf() == null ? null : "restore " + e.rollbackOf())
                .add("Sources", sources(e.databases(), e.media()))
                .add("Error", e.error())
                .add("Rows loaded", ok && !e.dryRun() ? String.format(Locale.ROOT, "%,d", e.rows()) : null)
                .add(
                        "Pre-restore backup",
                        ctx.preBackupId() == null ? null : ctx.preBackupId().toString())
                .add("Requested by", e.createdBy())
                .add("Duration", duration(e.startedAt(), e.finishedAt()))
                .add("Started", time(e.startedAt()))
                .add("Finished", time(e.finishedAt()))
                .add("Restore id", e.restoreId().toString())
                .link("Details", link)
                .link("Backup", backupLink);

        ObjectNode r = JSON.objectNode();
        r.put("id", e.restoreId().toString());
        r.put("backup_id", e.backupId().toString());
        r.put("mode", e.mode());
        r.put("dry_run", e.dryRun());
        r.put("rollback_of", e.rollbackOf() == null ? null : e.rollbackOf().toString());
        r.put("status", e.status().name());
        r.set("databases", strings(e.databases()));
        r.set("media", strings(e.media()));
        r.put("rows", e.rows());
        r.put(
                "pre_backup_id",
                ctx.preBackupId() == null ? null : ctx.preBackupId().toString());
        r.put("created_by", e.createdBy());
        r.put("started_at", iso(e.startedAt()));
        r.put("finished_at", iso(e.finishedAt()));
        r.put("duration_seconds", e.durationSeconds());
        r.put("error", e.error());
        r.put("url", link);
        ObjectNode b = JSON.objectNode();
        b.put("id", e.backupId().toString());
        b.put("name", ctx.backupName());
        b.put("url", backupLink);
        ObjectNode payload = payload(event, e.finishedAt());
        payload.set("restore", r);
        payload.set("backup", b);

        String subject = "[Holdfast] " + what + " of backup '" + backupName + "' "
                + e.status().name();
        return notification(
                event,
                ok,
                "restore " + e.restoreId() + " of backup " + e.backupId(),
                subject,
                what + " of backup '" + backupName + "' " + e.status().name().toLowerCase(Locale.ROOT) + ".",
                rows,
                payload);
    }

    /** A verification that found a damaged or missing archive. */
    public Notification verificationFailed(VerificationFinished e) {
        String event = "verify.failed";
        String link = link("/api/backups/", e.backupId());
        Rows rows = new Rows()
                .add("Backup", "'" + e.backupName() + "'")
                .add("Outcome", "FAILED")
                .add("Sources", String.join(", ", e.sources()))
                .add("Problems", e.failures() + " (listed in verify_failures of the backup)")
                .add("Verified", time(e.at()))
                .add("Backup id", e.backupId().toString())
                .link("Details", link);
        ObjectNode b = JSON.objectNode();
        b.put("id", e.backupId().toString());
        b.put("name", e.backupName());
        b.set("sources", strings(e.sources()));
        b.put("url", link);
        ObjectNode v = JSON.objectNode();
        v.put("ok", e.ok());
        v.put("failures", e.failures());
        v.put("verified_at", iso(e.at()));
        ObjectNode payload = payload(event, e.at());
        payload.set("backup", b);
        payload.set("verification", v);
        String subject = "[Holdfast] Verification of backup '" + e.backupName() + "' FAILED";
        return notification(
                event,
                false,
                "verification of backup " + e.backupId(),
                subject,
                "Verification of backup '" + e.backupName() + "' failed: its archive no longer matches its "
                        + "checksums and may not restore.",
                rows,
                payload);
    }

    /** A failed drill, or a passed one after a failure (recovered). */
    public Notification drill(DrillFinished e, String backupName) {
        String event = e.ok() ? "drill.recovered" : "drill.failed";
        String link = link("/api/drills/", e.drillId());
        String backup =
                "'" + (backupName == null ? String.valueOf(e.backupId()) : backupName) + "' (" + e.backupId() + ")";
        Rows rows = new Rows()
                .add("Source", e.source())
                .add("Backup", backup)
                .add("Outcome", e.ok() ? "SUCCEEDED after a failed drill" : "FAILED")
                .add("Tables", e.failedTables().isEmpty() ? null : String.join(", ", e.failedTables()))
                .add("Checks", e.failedChecks().isEmpty() ? null : String.join(", ", e.failedChecks()))
                .add("Error", e.error())
                .add(
                        "Recovery time",
                        e.recoverySeconds() == null ? null : String.format(Locale.ROOT, "%.1f s", e.recoverySeconds()))
                .add("Trigger", e.trigger())
                .add("Duration", duration(e.startedAt(), e.finishedAt()))
                .add("Finished", time(e.finishedAt()))
                .add("Drill id", e.drillId().toString())
                .link("Details", link);
        ObjectNode d = JSON.objectNode();
        d.put("id", e.drillId().toString());
        d.put("source", e.source());
        d.put("status", e.ok() ? "SUCCEEDED" : "FAILED");
        d.put("recovered", e.recovered());
        d.put("trigger", e.trigger());
        d.put("recovery_seconds", e.recoverySeconds());
        d.set("failed_tables", strings(e.failedTables()));
        d.set("failed_checks", strings(e.failedChecks()));
        d.put("error", e.error());
        d.put("started_at", iso(e.startedAt()));
        d.put("finished_at", iso(e.finishedAt()));
        d.put("url", link);
        ObjectNode b = JSON.objectNode();
        b.put("id", String.valueOf(e.backupId()));
        b.put("name", backupName);
        b.put("url", link("/api/backups/", e.backupId()));
        ObjectNode payload = payload(event, e.finishedAt());
        payload.set("drill", d);
        payload.set("backup", b);
        String subject = "[Holdfast] Restore drill of " + e.source() + (e.ok() ? " passed again" : " FAILED");
        return notification(
                event,
                e.ok(),
                "drill " + e.drillId() + " of " + e.source(),
                subject,
                e.ok()
                        ? "The restore drill of " + e.source() + " passed again after a failed one."
                        : "The restore drill of " + e.source() + " failed: backup " + backup + " may not restore.",
                rows,
                payload);
    }

    /** A running job whose progress stopped moving, with the lock its sessions wait for and who holds it. */
    public Notification stalled(JobStall s) {
        String event = "job.stalled";
        String link = link("/api/jobs/", s.jobId());
        Rows rows = new Rows()
                .add("Job", s.type() + " " + s.jobId())
                .add("Phase", s.phase())
                .add("No progress since", time(s.since().toInstant()))
                .add("Diagnosis", s.diagnosis())
                .add("Action", s.cancelled() ? "cancelled (holdfast.jobs.cancel-stalled)" : "none: it keeps running")
                .link("Details", link);
        ObjectNode j = JSON.objectNode();
        j.put("id", s.jobId().toString());
        j.put("type", s.type());
        j.put("phase", s.phase());
        j.put("since", iso(s.since().toInstant()));
        j.put("stalled_seconds", s.stalledSeconds());
        j.put("server_wait", s.serverWait());
        j.put("diagnosis", s.diagnosis());
        j.put("cancelled", s.cancelled());
        ArrayNode waits = j.putArray("lock_waits");
        for (JobStall.LockWait w : s.lockWaits()) {
            ObjectNode o = waits.addObject();
            o.put("server", w.server());
            o.put("database", w.database());
            o.put("pid", w.pid());
            o.put("lock_type", w.lockType());
            o.put("mode", w.mode());
            o.put("relation", w.relation());
            ArrayNode by = o.putArray("blocked_by");
            for (JobStall.LockHolder h : w.blockedBy()) {
                ObjectNode b = by.addObject();
                b.put("pid", h.pid());
                b.put("application_name", h.applicationName());
                b.put("user", h.user());
                b.put("state", h.state());
                b.put(
                        "query_start",
                        h.queryStart() == null ? null : iso(h.queryStart().toInstant()));
                b.put("held_modes", h.heldModes());
            }
        }
        j.put("url", link);
        ObjectNode payload = payload(event, s.since().toInstant().plusSeconds(s.stalledSeconds()));
        payload.set("job", j);
        return notification(
                event,
                false,
                "stalled job " + s.jobId(),
                "[Holdfast] " + s.type() + " job STALLED: " + (s.serverWait() ? "waiting for a lock" : "no progress"),
                "A " + s.type() + " job has made no progress for "
                        + duration(s.since().toInstant(), s.since().toInstant().plusSeconds(s.stalledSeconds())) + ": "
                        + s.diagnosis() + ".",
                rows,
                payload);
    }

    private Notification notification(
            String event, boolean ok, String about, String subject, String lead, Rows rows, ObjectNode payload) {
        return new Notification(
                event,
                ok ? NotificationConfig.Outcome.SUCCESS : NotificationConfig.Outcome.FAILURE,
                about,
                oneLine(subject),
                rows.text(lead),
                rows.html(lead),
                payload);
    }

    private static ObjectNode payload(String event, Instant at) {
        ObjectNode p = JSON.objectNode();
        p.put("event", event);
        p.put("occurred_at", iso(at));
        return p;
    }

    private String link(String path, UUID id) {
        return baseUrl == null ? null : baseUrl + path + id;
    }

    private static String trigger(String trigger, String scheduleName, UUID scheduleId) {
        if (scheduleId == null) {
            return trigger;
        }
        String schedule = "schedule "
                + (scheduleName == null ? scheduleId.toString() : "'" + scheduleName + "' (" + scheduleId + ")");
        // A cron run says "schedule 'x'"; a "run now" through the API says "api, schedule 'x'".
        return "schedule".equals(trigger) ? schedule : trigger + ", " + schedule;
    }

    private static String sources(List<String> databases, List<String> media) {
        List<String> parts = new ArrayList<>();
        if (!databases.isEmpty()) {
            parts.add("databases " + String.join(", ", databases));
        }
        if (!media.isEmpty()) {
            parts.add("media " + String.join(", ", media));
        }
        return parts.isEmpty() ? null : String.join("; ", parts);
    }

    private static ArrayNode strings(List<String> values) {
        ArrayNode a = JSON.arrayNode();
        values.forEach(a::add);
        return a;
    }

    /** Binary units with one decimal, then the exact byte count: {@code 1.5 MiB (1,572,864 bytes)}. */
    static String size(long bytes) {
        String exact = String.format(Locale.ROOT, "%,d bytes", bytes);
        if (bytes < 1024) {
            return exact;
        }
        String[] units = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
        double v = bytes;
        int u = -1;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return String.format(Locale.ROOT, "%.1f %s (%s)", v, units[u], exact);
    }

    /** {@code 850 ms}, {@code 12.3 s}, {@code 4 min 2 s}, {@code 1 h 3 min}. */
    static String duration(Instant from, Instant to) {
        if (from == null || to == null) {
            return null;
        }
        long ms = Math.max(0, java.time.Duration.between(from, to).toMillis());
        if (ms < 1000) {
            return ms + " ms";
        }
        if (ms < 60_000) {
            return String.format(Locale.ROOT, "%.1f s", ms / 1000.0);
        }
        long s = ms / 1000;
        if (s < 3600) {
            return (s / 60) + " min " + (s % 60) + " s";
        }
        return (s / 3600) + " h " + (s % 3600 / 60) + " min";
    }

    private static String time(Instant t) {
        return t == null ? null : t.truncatedTo(ChronoUnit.SECONDS) + " (UTC)";
    }

    private static String iso(Instant t) {
        return t == null ? null : t.toString();
    }

    /** Header values must stay on one line whatever a backup is named. */
    private static String oneLine(String s) {
        return s.replaceAll("[\\r\\n\\t\\x00-\\x1f]+", " ");
    }

    static String escape(String s) {
        StringBuilder out = new StringBuilder(s.length());
        for (char c : s.toCharArray()) {
            switch (c) {
                case '<' -> out.append("&lt;");
                case '>' -> out.append("&gt;");
                case '&' -> out.append("&amp;");
                case '"' -> out.append("&quot;");
                case '\'' -> out.append("&#39;");
                default -> out.append(c);
            }
        }
        return out.toString();
    }

    /** Label/value lines, rendered as aligned text and as an HTML table; null values are left out. */
    private static final class Rows {
        private record Row(String label, String value, boolean link) {}

        private final List<Row> rows = new ArrayList<>();

        Rows add(String label, String value) {
            if (value != null && !value.isBlank()) {
                rows.add(new Row(label, value, false));
            }
            return this;
        }

        Rows link(String label, String url) {
            if (url != null) {
                rows.add(new Row(label, url, true));
            }
            return this;
        }

        String text(String lead) {
            int width = rows.stream().mapToInt(r -> r.label().length()).max().orElse(0) + 2;
            StringBuilder out = new StringBuilder(lead).append("\n\n");
            for (Row r : rows) {
                String label = r.label() + ":";
                out.append(label).append(" ".repeat(width - label.length() + 1));
                // Multi-line values (an error with a cause, say) stay under their own column.
                out.append(r.value().replace("\n", "\n" + " ".repeat(width + 1)))
                        .append('\n');
            }
            return out.append("\n-- \nHoldfast\n").toString();
        }

        String html(String lead) {
            StringBuilder out = new StringBuilder("<!DOCTYPE html><html><body style=\"font-family:sans-serif\">");
            out.append("<p>")
                    .append(escape(lead))
                    .append("</p><table cellpadding=\"4\" style=\"border-collapse:" + "collapse\">");
            for (Row r : rows) {
                out.append("<tr><th align=\"left\" valign=\"top\">")
                        .append(escape(r.label()))
                        .append("</th><td>");
                if (r.link()) {
                    out.append("<a href=\"")
                            .append(escape(r.value()))
                            .append("\">")
                            .append(escape(r.value()))
                            .append("</a>");
                } else if (r.value().contains("\n")) {
                    out.append("<pre style=\"margin:0;white-space:pre-wrap\">")
                            .append(escape(r.value()))
                            .append("</pre>");
                } else {
                    out.append(escape(r.value()));
                }
                out.append("</td></tr>");
            }
            return out.append("</table><p style=\"color:#666\">Holdfast</p></body></html>")
                    .toString();
        }
    }
}
