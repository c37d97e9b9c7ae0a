package dev.holdfast.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code holdfast backup …}: create, list, show, verify, download, delete and protect backups. */
@Command(
        name = "backup",
        description = "Create, list, verify, download, delete and protect backups.",
        subcommands = {
            BackupCommands.Create.class,
            BackupCommands.ListBackups.class,
            BackupCommands.Show.class,
            BackupCommands.Verify.class,
            BackupCommands.Download.class,
            BackupCommands.Delete.class,
            BackupCommands.Protect.class
        })
final class BackupCommands {
    static final List<Output.Column> COLUMNS = List.of(
            new Output.Column("ID", "id"),
            new Output.Column("NAME", "name"),
            new Output.Column("TYPE", "backup_type"),
            new Output.Column("STATUS", "status"),
            new Output.Column("SIZE", "size_bytes"),
            new Output.Column("CREATED", "created_at"),
            new Output.Column("PROTECTED", "is_protected"));

    /** Waiting options shared by commands that start a job. */
    static final class WaitOptions {
        @Option(names = "--wait", description = "Follow the job until it ends; exit 0 only if it succeeded")
        boolean wait;

        @Option(
                names = "--timeout",
                defaultValue = "2h",
                description = "How long --wait waits (e.g. 90s, 30m, 2h; default 2h); then exit 5, the job goes on")
        Duration timeout;
    }

    @Command(name = "create", description = "Start a backup (the seed's create_backup_safe).")
    static final class Create extends Leaf {
        @Option(names = "--name", description = "A name for the backup")
        String name;

        @Option(names = "--type", description = "full, database or media (default: full)")
        String type;

        @Option(names = "--description")
        String description;

        @Option(names = "--databases", split = ",", description = "Database sources to include (default: all)")
        List<String> databases;

        @Option(names = "--media", split = ",", description = "Media roots to include (default: all)")
        List<String> media;

        @Option(names = "--include-tables", split = ",")
        List<String> includeTables;

        @Option(names = "--exclude-tables", split = ",")
        List<String> excludeTables;

        @Option(names = "--include-schemas", split = ",")
        List<String> includeSchemas;

        @Option(names = "--exclude-schemas", split = ",")
        List<String> excludeSchemas;

        @Option(names = "--schema-only-tables", split = ",", description = "Tables whose structure only is kept")
        List<String> schemaOnlyTables;

        @Option(names = "--media-include", split = ",", description = "Glob patterns of media files to keep")
        List<String> mediaInclude;

        @Option(names = "--media-exclude", split = ",", description = "Glob patterns of media files to leave out")
        List<String> mediaExclude;

        @Option(names = "--compression", description = "zstd, gzip or none")
        String compression;

        @Option(names = "--copy-to", split = ",", description = "Named storages to copy the backup to")
        List<String> copyTo;

        @Option(
                names = "--incremental",
                description = "Media roots: store only what no earlier backup holds, refer to it for the rest")
        boolean incremental;

        @Option(names = "--rehash", description = "With --incremental: read and hash every file")
        boolean rehash;

        @Option(
                names = "--full-every",
                description = "With --incremental: a full backup instead when the chain would reach this length")
        Integer fullEvery;

        @Option(
                names = "--idempotency-key",
                description = "Sent as Idempotency-Key (default: $HOLDFAST_IDEMPOTENCY_KEY, else new per invocation)")
        String idempotencyKey;

        @picocli.CommandLine.Mixin
        WaitOptions waiting = new WaitOptions();

        @Override
        public Integer call() {
            Context c = ctx();
            ObjectNode body = c.api().json().createObjectNode();
            putIf(body, "name", name);
            putIf(body, "backup_type", type);
            putIf(body, "description", description);
            putIf(body, "compression", compression);
            putList(body, "databases", databases);
            putList(body, "media", media);
            putList(body, "include_tables", includeTables);
            putList(body, "exclude_tables", excludeTables);
            putList(body, "include_schemas", includeSchemas);
            putList(body, "exclude_schemas", excludeSchemas);
            putList(body, "schema_only_tables", schemaOnlyTables);
            putList(body, "media_include", mediaInclude);
            putList(body, "media_exclude", mediaExclude);
            putList(body, "copy_to", copyTo);
            if (incremental) {
                body.put("incremental", true);
            }
            if (rehash) {
                body.put("rehash", true);
            }
            if (fullEvery != null) {
                body.put("full_every", fullEvery);
            }
            JsonNode accepted = c.api().post("api/backups", body, c.idempotencyKey(idempotencyKey));
            return finishBackup(c, accepted, waiting);
        }
    }

    /** Shows the accepted backup, or waits for its job and shows the backup as it ended. */
    static int finishBackup(Context c, JsonNode accepted, WaitOptions waiting) {
        JsonNode backup = accepted.path("resource");
        String backupId = backup.path("id").asText();
        if (!waiting.wait) {
            c.output().item(backup);
            c.err()
                    .println("backup " + backupId + " queued as job "
                            + accepted.path("job").path("id").asText() + " (follow it: holdfast jobs watch "
                            + accepted.path("job").path("id").asText() + ")");
            return ExitCodes.OK;
        }
        JsonNode job = c.waitFor(accepted.path("job"), waiting.timeout);
        JsonNode finished = c.api().get("api/backups/" + backupId);
        c.output().item(finished);
        if ("SUCCEEDED".equals(finished.path("status").asText())) {
            return ExitCodes.OK;
        }
        c.err()
                .println("holdfast: backup " + backupId + " "
                        + finished.path("status").asText() + ": "
                        + finished.path("error").asText(job.path("error").asText("")));
        return ExitCodes.FAILED;
    }

    @Command(name = "list", description = "List backups, newest first.")
    static final class ListBackups extends Leaf {
        @Option(names = "--status", description = "QUEUED, RUNNING, SUCCEEDED, FAILED or CANCELLED")
        String status;

        @Option(names = "--type", description = "full, database or media")
        String type;

        @Option(names = "--source", description = "Backups that include this source")
        String source;

        @Option(
                names = {"-q", "--query"},
                description = "Text in the name or description")
        String query;

        @picocli.CommandLine.Mixin
        Paging paging = new Paging();

        @Option(names = "--sort", description = "e.g. created_at,desc")
        String sort;

        @Override
        public Integer call() {
            Context c = ctx();
            c.output()
                    .list(
                            c.api()
                                    .get(
                                            "api/backups",
                                            params(
                                                    "status",
                                                    status,
                                                    "type",
                                                    type,
                                                    "source",
                                                    source,
                                                    "q",
                                                    query,
                                                    "page",
                                                    paging.page,
                                                    "size",
                                                    paging.size,
                                                    "sort",
                                                    sort)),
                            COLUMNS);
            return ExitCodes.OK;
        }
    }

    @Command(name = "show", description = "Show one backup with its manifest summary.")
    static final class Show extends Leaf {
        @Parameters(paramLabel = "BACKUP")
        String backup;

        @Override
        public Integer call() {
            return show("api/backups", backup);
        }
    }

    @Command(name = "verify", description = "Verify a stored backup: every entry's SHA-256, read from storage.")
    static final class Verify extends Leaf {
        @Parameters(paramLabel = "BACKUP")
        String backup;

        @picocli.CommandLine.Mixin
        WaitOptions waiting = new WaitOptions();

        @Override
        public Integer call() {
            Context c = ctx();
            JsonNode accepted = c.api().post("api/backups/" + id(backup) + "/verify", null, null);
            if (!waiting.wait) {
                c.output().item(accepted.path("job"));
                return ExitCodes.OK;
            }
            JsonNode job = c.waitFor(accepted.path("job"), waiting.timeout);
            c.output().item(job);
            return c.outcome(job, "verification of backup " + backup);
        }
    }

    @Command(
            name = "download",
            description = "Download a backup's archive as stored; resumes a partial download (Range) and checks its"
                    + " SHA-256 before it gets its final name.")
    static final class Download extends Leaf {
        @Parameters(paramLabel = "BACKUP")
        String backup;

        @Option(
                names = {"-f", "--file"},
                description = "Where to write it (default: <name>-<id>.tar, .tar.age if encrypted)")
        Path file;

        @Override
        public Integer call() throws IOException {
            Context c = ctx();
            String backupId = id(backup);
            JsonNode b = c.api().get("api/backups/" + backupId);
            String expected = b.path("sha256").asText("");
            if (!"SUCCEEDED".equals(b.path("status").asText()) || expected.isEmpty()) {
                throw new CliException(
                        ExitCodes.CONFLICT,
                        "backup " + backupId + " is " + b.path("status").asText()
                                + ": there is no archive to download");
            }
            boolean encrypted =
                    b.path("encrypted_to").isArray() && b.path("encrypted_to").size() > 0;
            Path target = file != null
                    ? file
                    : Path.of(
                            safe(b.path("name").asText("backup")) + "-" + backupId + (encrypted ? ".tar.age" : ".tar"));
            Path part = target.resolveSibling(target.getFileName() + ".part");
            long have = Files.exists(part) ? Files.size(part) : 0;
            long size = b.path("size_bytes").asLong(-1);
            if (have > 0 && have < size) {
                c.err().println("resuming " + part + " at " + Output.bytes(have) + " of " + Output.bytes(size));
                try (InputStream in = c.api()
                                .download(
                                        "api/backups/" + backupId + "/download",
                                        Map.of("Range", "bytes=" + have + "-"));
                        OutputStream o = Files.newOutputStream(part, StandardOpenOption.APPEND)) {
                    in.transferTo(o);
                }
            } else if (have != size) {
                try (InputStream in = c.api().download("api/backups/" + backupId + "/download", Map.of());
                        OutputStream o = Files.newOutputStream(part)) {
                    in.transferTo(o);
                }
            }
            String actual = sha256(part);
            if (!actual.equalsIgnoreCase(expected)) {
                Files.delete(part);
                throw new CliException(
                        ExitCodes.FAILED,
                        "the download's SHA-256 is " + actual + ", the backup's is " + expected
                                + "; the partial file was removed, try again");
            }
            Files.move(part, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            ObjectNode result = c.api().json().createObjectNode();
            result.put("backup_id", backupId);
            result.put("file", target.toString());
            result.put("size_bytes", Files.size(target));
            result.put("sha256", actual);
            c.output().item(result);
            return ExitCodes.OK;
        }

        private static String safe(String name) {
            String s = name.replaceAll("[^A-Za-z0-9._-]", "_");
            return s.isEmpty() || s.startsWith(".") ? "backup" + s : s;
        }

        static String sha256(Path p) throws IOException {
            try (InputStream in = Files.newInputStream(p)) {
                MessageDigest md = MessageDigest.getInstance("SHA-256");
                byte[] buf = new byte[1 << 16];
                for (int n; (n = in.read(buf)) > 0; ) {
                    md.update(buf, 0, n);
                }
                return HexFormat.of().formatHex(md.digest());
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    @Command(name = "delete", description = "Delete a backup and its archive (refused while protected or in use).")
    static final class Delete extends Leaf {
        @Parameters(paramLabel = "BACKUP")
        String backup;

        @Option(names = "--yes", description = "Do not ask (required when not interactive)")
        boolean yes;

        @Override
        public Integer call() {
            Context c = ctx();
            String backupId = id(backup);
            c.confirm(yes, "Delete backup " + backupId + " and its archive?", "yes");
            c.api().delete("api/backups/" + backupId);
            c.err().println("deleted backup " + backupId);
            return ExitCodes.OK;
        }
    }

    @Command(name = "protect", description = "Protect a backup from retention and deletion (--off to lift it).")
    static final class Protect extends Leaf {
        @Parameters(paramLabel = "BACKUP")
        String backup;

        @Option(names = "--off", description = "Lift the protection")
        boolean off;

        @Override
        public Integer call() {
            Context c = ctx();
            ObjectNode body = c.api().json().createObjectNode().put("protected", !off);
            c.output().item(c.api().put("api/backups/" + id(backup) + "/protection", body));
            return ExitCodes.OK;
        }
    }

    static void putIf(ObjectNode body, String field, String value) {
        if (value != null) {
            body.put(field, value);
        }
    }

    static void putList(ObjectNode body, String field, List<String> values) {
        if (values != null && !values.isEmpty()) {
            values.forEach(body.putArray(field)::add);
        }
    }

    private BackupCommands() {}
}
