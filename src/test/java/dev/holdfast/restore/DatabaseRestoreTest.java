package dev.holdfast.restore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.holdfast.archive.ArchiveReader;
import dev.holdfast.archive.EntryInfo;
import dev.holdfast.archive.Manifest;
import dev.holdfast.job.JobCancelledException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Restores against a real server: one source with the rich fixture (cycles, self reference, partitions,
 * identity, generated columns, odd names) plus a bulk table, backed up once with the real backup engine;
 * each test restores into a copy of the source that it mutated first, or into a fresh database.
 */
class DatabaseRestoreTest {

    static RestoreTestDb source;
    static Path archiveFile;
    static ArchiveReader archive;
    static Manifest.DatabaseSection section;
    static Map<String, String> sourceTables;
    static Map<String, String> sourceSequences;

    @BeforeAll
    static void backUpTheSource() throws Exception {
        source = RestoreTestDb.create();
        source.exec(
                RestoreTestDb.resource("/dev/holdfast/pg/fixture.sql"), // the engine tests' fixture
                // big enough that COPY reports progress (every 4 MiB) in the middle of the table
                "CREATE TABLE public.bulk (id bigint PRIMARY KEY, employee_id int REFERENCES public.employee (id),"
                        + " payload text)",
                "CREATE INDEX bulk_payload_idx ON public.bulk (payload)",
                "INSERT INTO public.bulk SELECT g, 1 + g % 3, md5(g::text) || md5((g * 7)::text) FROM"
                        + " generate_series(1, 200000) g");
        sourceTables = source.tableHashes();
        sourceSequences = source.sequences();
        archiveFile = Files.createTempFile("holdfast-rtest", ".tar");
        archive = source.backup(archiveFile);
        section = archive.manifest().databases().get(0);
    }

    @AfterAll
    static void dropTheSource() throws Exception {
        if (source != null) {
            source.close();
        }
        Files.deleteIfExists(archiveFile);
    }

    static RestoreTestDb mutatedCopy() {
        RestoreTestDb db = RestoreTestDb.createFrom(source);
        db.exec(
                "INSERT INTO public.employee (name, manager_id) VALUES ('new', 1)",
                "UPDATE sales.customer SET name = 'changed' WHERE id = 1",
                "DELETE FROM public.\"select\" WHERE \"from\" IS NULL",
                "TRUNCATE public.django_session",
                "INSERT INTO \"Audit\".\"EventLog\" (\"Payload\") VALUES ('later')",
                "UPDATE public.everything SET qty = 5 WHERE qty = 3",
                "DELETE FROM public.bulk WHERE id % 2 = 0",
                "INSERT INTO sales.measurement VALUES (9, '2025-02-02', 2, 'eu', 2)",
                "UPDATE public.a SET b_id = NULL");
        assertThat(db.tableHashes()).isNotEqualTo(sourceTables);
        return db;
    }

    static RestoreReport restore(RestoreTestDb target, RestoreOptions options) {
        return new DatabaseRestore(RestoreTestDb.FACTORY, RestoreTestDb.TOOLS)
                .run(archive, section, target.info, options, RestoreProgress.Listener.none(), () -> {});
    }

    static void assertLikeTheSource(RestoreTestDb target) {
        assertThat(target.tableHashes()).isEqualTo(sourceTables);
        assertThat(target.sequences()).isEqualTo(sourceSequences);
        assertThat(target.query("SELECT count(*) FROM pg_constraint WHERE NOT convalidated"))
                .isEqualTo("0");
    }

    static final String CONSTRAINTS =
            "SELECT string_agg(conrelid::regclass || '.' || conname || ' ' || contype::text || ' '"
                    + " || convalidated || ' ' || pg_get_constraintdef(oid), ';' ORDER BY conrelid::regclass::text, conname)"
                    + " FROM pg_constraint WHERE connamespace::regnamespace::text NOT LIKE 'pg_%'";

    @Test
    void replaceRestoresEveryTableRowForRowAfterInsertsUpdatesDeletesAndTruncate() {
        try (RestoreTestDb target = mutatedCopy()) {
            String indexesBefore = target.query("SELECT string_agg(pg_get_indexdef(indexrelid), ';' ORDER BY"
                    + " indexrelid::regclass::text) FROM pg_index");
            String constraintsBefore = target.query(CONSTRAINTS);
            List<RestoreProgress> progress = new ArrayList<>();
            RestoreReport report = new DatabaseRestore(RestoreTestDb.FACTORY, RestoreTestDb.TOOLS)
                    .run(archive, section, target.info, RestoreOptions.replaceAll(), progress::add, () -> {});

            assertThat(report.committed()).isTrue();
            assertThat(report.ok()).as(report.toString()).isTrue();
            assertLikeTheSource(target);
            assertThat(target.query("SELECT string_agg(pg_get_indexdef(indexrelid), ';' ORDER BY"
                            + " indexrelid::regclass::text) FROM pg_index"))
                    .isEqualTo(indexesBefore);
            // primary keys and unique constraints were dropped for the load and rebuilt exactly as they were
            assertThat(target.query(CONSTRAINTS)).isEqualTo(constraintsBefore);
            RestoreReport.TableResult bulk = report.tables().stream()
                    .filter(t -> t.name().equals("bulk"))
                    .findFirst()
                    .orElseThrow();
            assertThat(bulk.rowsLoaded()).isEqualTo(200_000);
            assertThat(bulk.rowsRemoved()).isEqualTo(100_000);
            assertThat(report.validation())
                    .extracting(RestoreReport.Check::kind)
                    .contains("row-count", "foreign-key", "sequence");
            assertThat(report.sequences())
                    .extracting(RestoreReport.SequenceResult::name)
                    .contains("employee_id_seq", "EventLog_id_seq", "Order_id_seq");
            // identity ALWAYS values came from the archive, and the identity goes on after them
            target.exec("INSERT INTO public.employee (name) VALUES ('after')");
            assertThat(target.query("SELECT max(id) FROM public.employee")).isEqualTo("4");
            assertThat(progress).extracting(RestoreProgress::phase).contains("verify", "load", "validate", "commit");
            RestoreProgress last = progress.get(progress.size() - 1);
            assertThat(last.bytesDone()).isEqualTo(last.bytesTotal()).isEqualTo(report.bytesLoaded());
            assertThat(last.rowsDone()).isEqualTo(last.rowsTotal());
            assertThat(progress)
                    .anyMatch(p -> p.table() != null
                            && p.table().equals("public.bulk")
                            && p.tableBytesDone() > 0
                            && p.tableBytesDone() < p.tableBytesTotal());
        }
    }

    @Test
    void replaceMatchesColumnsByNameWhenTheTargetOrdersThemDifferently() {
        try (RestoreTestDb target = mutatedCopy()) {
            target.exec(
                    "DROP TABLE public.auth_user CASCADE",
                    "DELETE FROM public.profile",
                    "CREATE TABLE public.auth_user (name text, id int PRIMARY KEY)",
                    "INSERT INTO public.auth_user VALUES ('someone', 7)",
                    "ALTER TABLE public.django_session ADD CONSTRAINT session_user_fk FOREIGN KEY (user_id)"
                            + " REFERENCES public.auth_user (id)",
                    "ALTER TABLE public.profile ADD CONSTRAINT profile_user_fk FOREIGN KEY (user_id)"
                            + " REFERENCES public.auth_user (id)");
            restore(target, RestoreOptions.replaceAll());
            assertThat(target.query("SELECT string_agg(id || '=' || name, ',') FROM public.auth_user"))
                    .isEqualTo("1=admin");
            Map<String, String> expected = new java.util.TreeMap<>(sourceTables);
            expected.remove("public.auth_user");
            Map<String, String> actual = target.tableHashes();
            actual.remove("public.auth_user");
            assertThat(actual).isEqualTo(expected);
        }
    }

    @Test
    void binaryTablesLoadIntoColumnsOfAnotherCompatibleTypeAsTextWouldAndTooLongValuesStillFail() {
        // The archive holds bulk in binary (built-in types only) and everything in text (mood[] is not portable).
        Map<String, String> formats = new java.util.TreeMap<>();
        section.tables().forEach(t -> formats.put(t.schema() + "." + t.name(), t.copyFormatIn(section)));
        assertThat(formats).containsEntry("public.bulk", "binary").containsEntry("public.everything", "text");
        assertThat(section.copyFormat()).isEqualTo("binary");

        try (RestoreTestDb target = mutatedCopy()) {
            // A migration widened two columns since the backup: binary int4 cannot load into int8 as such.
            target.exec(
                    "ALTER TABLE public.bulk ALTER COLUMN employee_id TYPE bigint",
                    "ALTER TABLE public.bulk ALTER COLUMN payload TYPE varchar(64)");
            RestoreReport report = restore(target, RestoreOptions.replaceAll());
            assertThat(report.ok()).as(report.toString()).isTrue();
            assertThat(target.tableHashes()).isEqualTo(sourceTables);
            assertThat(target.query("SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid ="
                            + " 'public.bulk'::regclass AND attname = 'payload'"))
                    .isEqualTo("character varying(64)");
            assertThat(report.tables().stream()
                            .filter(t -> t.name().equals("bulk"))
                            .findFirst()
                            .orElseThrow()
                            .rowsLoaded())
                    .isEqualTo(200_000);
        }
        try (RestoreTestDb target = mutatedCopy()) {
            // Too narrow for the values: refused by the target's type during the load, as text input would be.
            target.exec("ALTER TABLE public.bulk ALTER COLUMN payload TYPE varchar(10) USING left(payload, 10)");
            String before = target.state();
            assertThatThrownBy(() -> restore(target, RestoreOptions.replaceAll()))
                    .isInstanceOf(RestoreException.class)
                    .hasMessageContaining("value too long for type character varying(10)");
            assertThat(target.state()).isEqualTo(before);
        }
    }

    @Test
    void missingOrIncompatibleColumnsAreRefusedByNameBeforeAnythingChanges() {
        try (RestoreTestDb target = mutatedCopy()) {
            target.exec(
                    "ALTER TABLE public.everything DROP COLUMN note",
                    "ALTER TABLE public.\"Order\" ALTER COLUMN placed_at TYPE int USING 0");
            String before = target.state();
            assertThatThrownBy(() -> restore(target, RestoreOptions.replaceAll()))
                    .isInstanceOf(RestoreException.class)
                    .hasMessageContaining("nothing was changed")
                    .hasMessageContaining("column \"note\" of table public.everything is in the archive but missing")
                    .hasMessageContaining("column \"placed_at\" of table public.Order is timestamp with time zone in"
                            + " the archive but integer in the target");
            assertThat(target.state()).isEqualTo(before);
        }
    }

    @Test
    void selectiveRestoreRefusesWhenAnotherTableReferencesItAndIncludesReferencingTablesOnRequest() {
        try (RestoreTestDb target = mutatedCopy()) {
            target.exec("UPDATE public.auth_user SET name = 'renamed'", "INSERT INTO public.profile VALUES (2, 1)");
            String before = target.state();
            RestoreOptions one =
                    new RestoreOptions(RestoreOptions.Mode.REPLACE, Set.of("public.auth_user"), false, false);
            assertThatThrownBy(() -> restore(target, one))
                    .isInstanceOf(RestoreException.class)
                    .hasMessageContaining(
                            "table public.django_session references public.auth_user (constraint" + " session_user_fk)")
                    .hasMessageContaining("public.profile references public.auth_user (constraint profile_user_fk)");
            assertThat(target.state()).isEqualTo(before);

            RestoreReport report =
                    restore(target, new RestoreOptions(RestoreOptions.Mode.REPLACE, Set.of("auth_user"), true, false));
            assertThat(report.tables())
                    .extracting(RestoreReport.TableResult::name)
                    .containsExactlyInAnyOrder("auth_user", "django_session", "profile");
            Map<String, String> now = target.tableHashes();
            for (String t : List.of("public.auth_user", "public.django_session", "public.profile")) {
                assertThat(now.get(t)).as(t).isEqualTo(sourceTables.get(t));
            }
            // tables outside the selection keep their (mutated) rows
            assertThat(target.query("SELECT name FROM sales.customer WHERE region = 'eu' AND id = 1"))
                    .isEqualTo("changed");
            assertThat(now.get("public.bulk")).isNotEqualTo(sourceTables.get("public.bulk"));

            target.exec("CREATE TABLE public.newer (id int PRIMARY KEY, user_id int REFERENCES public.auth_user (id))");
            assertThatThrownBy(() -> restore(
                            target, new RestoreOptions(RestoreOptions.Mode.REPLACE, Set.of("auth_user"), true, false)))
                    .isInstanceOf(RestoreException.class)
                    .hasMessageContaining("public.newer references public.auth_user (constraint newer_user_id_fkey) and"
                            + " would have to be restored too, but the archive has no data for it");
        }
    }

    @Test
    void selectiveRestoreOfACycleMemberAndAPartitionedTable() {
        try (RestoreTestDb target = mutatedCopy()) {
            RestoreReport report = restore(
                    target,
                    new RestoreOptions(
                            RestoreOptions.Mode.REPLACE, Set.of("public.a", "sales.measurement"), true, false));
            assertThat(report.tables())
                    .extracting(RestoreReport.TableResult::name)
                    .contains("a", "b", "c", "measurement_2024", "measurement_2025");
            Map<String, String> now = target.tableHashes();
            for (String t :
                    List.of("public.a", "public.b", "public.c", "sales.measurement_2024", "sales.measurement_2025")) {
                assertThat(now.get(t)).as(t).isEqualTo(sourceTables.get(t));
            }
            assertThat(target.query("SELECT count(*) FROM pg_constraint WHERE NOT convalidated"))
                    .isEqualTo("0");
        }
    }

    @Test
    void dryRunReportsWhatWouldHappenIncludingViolationsAndLeavesTheTargetIdentical() {
        try (RestoreTestDb target = mutatedCopy()) {
            String before = target.state();
            RestoreReport report = restore(target, RestoreOptions.replaceAll().withDryRun(true));
            assertThat(report.committed()).isFalse();
            assertThat(report.ok()).as(report.toString()).isTrue();
            RestoreReport.TableResult bulk = report.tables().stream()
                    .filter(t -> t.name().equals("bulk"))
                    .findFirst()
                    .orElseThrow();
            assertThat(bulk.rowsLoaded()).isEqualTo(200_000);
            assertThat(bulk.rowsRemoved()).isEqualTo(100_000);
            assertThat(target.state()).isEqualTo(before);

            target.exec("ALTER TABLE public.everything ADD CONSTRAINT note_short CHECK (length(note) < 5) NOT VALID");
            String withCheck = target.state();
            RestoreReport violated = restore(target, RestoreOptions.replaceAll().withDryRun(true));
            assertThat(violated.ok()).isFalse();
            assertThat(violated.errors()).anyMatch(e -> e.contains("public.everything") && e.contains("note_short"));
            RestoreReport.TableResult everything = violated.tables().stream()
                    .filter(t -> t.name().equals("everything"))
                    .findFirst()
                    .orElseThrow();
            assertThat(everything.error()).contains("note_short");
            assertThat(violated.tables().stream()
                            .filter(t -> t.name().equals("bulk"))
                            .findFirst()
                            .orElseThrow()
                            .rowsLoaded())
                    .isEqualTo(200_000);
            assertThat(target.state()).isEqualTo(withCheck);
        }
    }

    @Test
    void aConstraintViolationRollsEverythingBack() {
        try (RestoreTestDb target = mutatedCopy()) {
            target.exec("ALTER TABLE public.everything ADD CONSTRAINT note_short CHECK (length(note) < 5) NOT VALID");
            String before = target.state();
            assertThatThrownBy(() -> restore(target, RestoreOptions.replaceAll()))
                    .isInstanceOf(RestoreException.class)
                    .hasMessageContaining("rolled back, the target is unchanged")
                    .hasMessageContaining("note_short");
            assertThat(target.state()).isEqualTo(before);
        }
    }

    @Test
    void aConnectionKilledMidLoadLeavesTheTargetUnchanged() {
        try (RestoreTestDb target = mutatedCopy()) {
            String before = target.state();
            AtomicBoolean killed = new AtomicBoolean();
            RestoreProgress.Listener killer = p -> {
                if ("public.bulk".equals(p.table())
                        && p.tableBytesDone() > 0
                        && p.tableBytesDone() < p.tableBytesTotal()
                        && killed.compareAndSet(false, true)) {
                    target.exec(
                            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database()"
                                    + " AND pid <> pg_backend_pid() AND query LIKE 'COPY%'");
                }
            };
            assertThatThrownBy(() -> new DatabaseRestore(RestoreTestDb.FACTORY, RestoreTestDb.TOOLS)
                            .run(archive, section, target.info, RestoreOptions.replaceAll(), killer, () -> {}))
                    .isInstanceOf(RestoreException.class)
                    .hasMessageContaining("rolled back, the target is unchanged");
            assertThat(killed).isTrue();
            assertThat(target.state()).isEqualTo(before);
        }
    }

    @Test
    void cancellingAtACheckpointRethrowsTheCancellationAndLeavesTheTargetUnchanged() {
        try (RestoreTestDb target = mutatedCopy()) {
            String before = target.state();
            AtomicBoolean loading = new AtomicBoolean();
            AtomicInteger calls = new AtomicInteger();
            JobCancelledException cancel = new JobCancelledException("Cancelled by request", true);
            Runnable checkpoint = () -> {
                if (loading.get() && calls.incrementAndGet() > 20) {
                    throw cancel;
                }
            };
            assertThatThrownBy(() -> new DatabaseRestore(RestoreTestDb.FACTORY, RestoreTestDb.TOOLS)
                            .run(
                                    archive,
                                    section,
                                    target.info,
                                    RestoreOptions.replaceAll(),
                                    p -> loading.set(loading.get() || "load".equals(p.phase())),
                                    checkpoint))
                    .isSameAs(cancel);
            assertThat(target.state()).isEqualTo(before);
        }
    }

    @Test
    void aDamagedArchiveIsRefusedBeforeTheTargetIsTouched() throws Exception {
        Path damaged = Files.createTempFile("holdfast-rtest-damaged", ".tar");
        try (RestoreTestDb target = mutatedCopy()) {
            Files.copy(archiveFile, damaged, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            EntryInfo bulk = archive.manifest().entries().stream()
                    .filter(e -> e.name().contains("public.bulk"))
                    .findFirst()
                    .orElseThrow();
            try (RandomAccessFile f = new RandomAccessFile(damaged.toFile(), "rw")) {
                long at = bulk.offset() + bulk.storedSize() / 2;
                f.seek(at);
                int b = f.read();
                f.seek(at);
                f.write(b ^ 0x40);
            }
            String before = target.state();
            ArchiveReader bad = ArchiveReader.open(damaged);
            assertThatThrownBy(() -> new DatabaseRestore(RestoreTestDb.FACTORY, RestoreTestDb.TOOLS)
                            .run(
                                    bad,
                                    bad.manifest().databases().get(0),
                                    target.info,
                                    RestoreOptions.replaceAll(),
                                    RestoreProgress.Listener.none(),
                                    () -> {}))
                    .isInstanceOf(RestoreException.class)
                    .hasMessageContaining("failed verification, nothing was changed")
                    .hasMessageContaining(bulk.name());
            assertThat(target.state()).isEqualTo(before);
        } finally {
            Files.deleteIfExists(damaged);
        }
    }

    @Test
    void aRawChecksumMismatchFoundWhileLoadingRollsEverythingBack() throws Exception {
        // Stored bytes intact (so the pre-flight check passes) but the manifest's raw SHA-256 of public.bulk
        // differs from what the entry decodes to: the load must notice before that COPY ends and roll back.
        EntryInfo bulk = archive.manifest().entries().stream()
                .filter(e -> e.name().contains("public.bulk"))
                .findFirst()
                .orElseThrow();
        Path tampered = Files.createTempFile("holdfast-rtest-rawsha", ".tar");
        try (RestoreTestDb target = mutatedCopy()) {
            String wrong = wrongRawSha(bulk);
            ArchiveReader bad = tamperedRawSha(bulk, tampered);
            Manifest.DatabaseSection badSection = bad.manifest().databases().get(0);

            String before = target.state();
            List<RestoreProgress> progress = new ArrayList<>();
            assertThatThrownBy(() -> new DatabaseRestore(RestoreTestDb.FACTORY, RestoreTestDb.TOOLS)
                            .run(bad, badSection, target.info, RestoreOptions.replaceAll(), progress::add, () -> {}))
                    .isInstanceOf(RestoreException.class)
                    .hasMessageContaining("rolled back, the target is unchanged")
                    .hasMessageContaining(bulk.name())
                    .hasMessageContaining(wrong);
            // it was found while loading, inside the transaction, not by the pre-flight check
            assertThat(progress).anyMatch(p -> "public.bulk".equals(p.table()) && p.tableBytesDone() > 0);
            assertThat(target.state()).isEqualTo(before);

            // A dry run reports it against that table and still loads the others.
            RestoreReport dry = new DatabaseRestore(RestoreTestDb.FACTORY, RestoreTestDb.TOOLS)
                    .run(
                            bad,
                            badSection,
                            target.info,
                            RestoreOptions.replaceAll().withDryRun(true),
                            RestoreProgress.Listener.none(),
                            () -> {});
            assertThat(dry.ok()).isFalse();
            assertThat(dry.tables().stream()
                            .filter(t -> t.name().equals("bulk"))
                            .findFirst()
                            .orElseThrow()
                            .error())
                    .contains(wrong);
            assertThat(dry.tables().stream()
                            .filter(t -> t.name().equals("employee"))
                            .findFirst()
                            .orElseThrow()
                            .rowsLoaded())
                    .isEqualTo(3);
            assertThat(target.state()).isEqualTo(before);
        } finally {
            Files.deleteIfExists(tampered);
        }
    }

    @Test
    void aUniqueKeyRebuiltAfterTheLoadStillRefusesDuplicatesAndRollsBack() {
        try (RestoreTestDb target = mutatedCopy()) {
            // holds for the target's rows, not for the archive's (employee_id repeats there)
            target.exec(
                    "DELETE FROM public.bulk WHERE id > 3",
                    "ALTER TABLE public.bulk ADD CONSTRAINT bulk_employee_unique UNIQUE (employee_id)");
            String before = target.state();
            String constraints = target.query(CONSTRAINTS);
            assertThatThrownBy(() -> restore(target, RestoreOptions.replaceAll()))
                    .isInstanceOf(RestoreException.class)
                    .hasMessageContaining("rolled back, the target is unchanged")
                    .hasMessageContaining("bulk_employee_unique");
            assertThat(target.state()).isEqualTo(before);
            assertThat(target.query(CONSTRAINTS)).isEqualTo(constraints);

            RestoreReport dry = restore(target, RestoreOptions.replaceAll().withDryRun(true));
            assertThat(dry.ok()).isFalse();
            assertThat(dry.tables().stream()
                            .filter(t -> t.name().equals("bulk"))
                            .findFirst()
                            .orElseThrow()
                            .error())
                    .contains("bulk_employee_unique");
            assertThat(target.state()).isEqualTo(before);
        }
    }

    @Test
    void aKeyThatAViewReliesOnStaysInPlaceAndPartitionTriggersDoNotFire() {
        try (RestoreTestDb target = mutatedCopy()) {
            target.exec(
                    // GROUP BY the primary key lets the view name other columns; the view depends on the key
                    "CREATE VIEW public.user_profiles AS SELECT u.id, u.name, count(p.id) AS profiles"
                            + " FROM public.auth_user u LEFT JOIN public.profile p ON p.user_id = u.id GROUP BY u.id",
                    // a row trigger on the partitioned parent is cloned onto each partition; were it to fire
                    // during the load it would swallow every row
                    "CREATE FUNCTION public.swallow() RETURNS trigger LANGUAGE plpgsql AS 'BEGIN RETURN NULL; END'",
                    "CREATE TRIGGER swallow BEFORE INSERT ON sales.measurement FOR EACH ROW"
                            + " EXECUTE FUNCTION public.swallow()");
            RestoreReport report = restore(target, RestoreOptions.replaceAll());
            assertThat(report.ok()).as(report.toString()).isTrue();
            assertThat(target.tableHashes()).isEqualTo(sourceTables);
            assertThat(target.query(
                            "SELECT string_agg(id || '=' || profiles, ',' ORDER BY id) FROM public.user_profiles"))
                    .isEqualTo(target.query("SELECT string_agg(u.id || '=' || (SELECT count(*) FROM public.profile p"
                            + " WHERE p.user_id = u.id), ',' ORDER BY u.id) FROM public.auth_user u"));
            assertThat(target.query("SELECT string_agg(tgrelid::regclass || '=' || tgenabled::text, ',' ORDER BY"
                            + " tgrelid::regclass::text) FROM pg_trigger WHERE tgname = 'swallow'"))
                    .isEqualTo("sales.measurement=O,sales.measurement_2024=O,sales.measurement_2025=O");
        }
    }

    static String latin1(byte[] b) {
        return new String(b, StandardCharsets.ISO_8859_1);
    }

    @Test
    void cleanRestoreIntoAnEmptyDatabaseEqualsTheSourceInSchemaAndData() {
        try (RestoreTestDb target = RestoreTestDb.create()) {
            RestoreReport report = restore(target, RestoreOptions.cleanAll());
            assertThat(report.ok()).as(report.toString()).isTrue();
            assertThat(report.committed()).isTrue();
            assertLikeTheSource(target);
            assertThat(target.schemaDump()).isEqualTo(source.schemaDump());
        }
    }

    @Test
    void cleanRestoreReplacesADatabaseWithDifferentObjectsAndData() {
        try (RestoreTestDb target = mutatedCopy()) {
            target.exec(
                    "ALTER TABLE public.everything ADD COLUMN extra int DEFAULT 7",
                    "DROP INDEX public.bulk_payload_idx",
                    "CREATE TABLE public.unrelated (id int PRIMARY KEY)",
                    "INSERT INTO public.unrelated VALUES (1), (2)");
            RestoreReport report = restore(target, RestoreOptions.cleanAll());
            assertThat(report.ok()).as(report.toString()).isTrue();
            Map<String, String> now = target.tableHashes();
            assertThat(now.remove("public.unrelated"))
                    .isEqualTo("2:"
                            + target.query(
                                    "SELECT md5(string_agg(x::text, '|' ORDER BY x::text)) FROM public.unrelated x"));
            assertThat(now).isEqualTo(sourceTables);
            assertThat(target.sequences()).isEqualTo(sourceSequences);
            assertThat(target.query("SELECT count(*) FROM pg_indexes WHERE indexname = 'bulk_payload_idx'"))
                    .isEqualTo("1");
            assertThat(report.tables().stream()
                            .filter(t -> t.name().equals("bulk"))
                            .findFirst()
                            .orElseThrow()
                            .rowsRemoved())
                    .isEqualTo(100_000);
        }
    }

    @Test
    void cleanDryRunLeavesAnExistingDatabaseIdentical() throws Exception {
        try (RestoreTestDb target = mutatedCopy()) {
            String before = target.state();
            String schema = target.schemaDump();
            RestoreReport report = restore(target, RestoreOptions.cleanAll().withDryRun(true));
            assertThat(report.committed()).isFalse();
            assertThat(report.ok()).as(report.toString()).isTrue();
            assertThat(target.state()).isEqualTo(before);
            assertThat(target.schemaDump()).isEqualTo(schema);
            try (Connection c = target.connect();
                    Statement st = c.createStatement()) {
                st.execute("SELECT 1");
            }
        }
    }

    static String wrongRawSha(EntryInfo entry) {
        return (entry.sha256().charAt(0) == '0' ? "1" : "0") + entry.sha256().substring(1);
    }

    /**
     * A copy of the archive in {@code tampered} whose manifest gives {@code entry} a wrong raw SHA-256 while its
     * stored bytes (and their checksum) stay intact: only the load can notice.
     */
    static ArchiveReader tamperedRawSha(EntryInfo entry, Path tampered) throws Exception {
        String wrong = wrongRawSha(entry);
        byte[][] manifest = new byte[1][];
        try (var in = Files.newInputStream(archiveFile)) {
            ArchiveReader.scan(in, (name, size, stored) -> {
                if (name.equals("manifest.json")) {
                    manifest[0] = stored.readAllBytes();
                }
            });
        }
        String newManifest = latin1(manifest[0]).replace(entry.sha256(), wrong);
        String newManifestSha = java.util.HexFormat.of()
                .formatHex(java.security.MessageDigest.getInstance("SHA-256")
                        .digest(newManifest.getBytes(StandardCharsets.ISO_8859_1)));
        String file = latin1(Files.readAllBytes(archiveFile));
        assertThat(file.indexOf(entry.sha256())).isEqualTo(file.lastIndexOf(entry.sha256()));
        file = file.replace(entry.sha256(), wrong).replace(archive.manifestSha256(), newManifestSha);
        Files.write(tampered, file.getBytes(StandardCharsets.ISO_8859_1));
        ArchiveReader bad = ArchiveReader.open(tampered);
        assertThat(bad.manifest().entry(entry.name()).sha256()).isEqualTo(wrong);
        return bad;
    }

    // ---------------------------------------------------------------- staged clean restore

    static DatabaseRestore staged(UUID restoreId) {
        return new DatabaseRestore(RestoreTestDb.FACTORY, RestoreTestDb.TOOLS).stagedClean(2, restoreId);
    }

    /** Staging or retired databases of any restore into {@code target}. */
    static List<String> leftovers(RestoreTestDb target) {
        return RestoreTestDb.databasesStartingWith(target.name + "__hf_");
    }

    static boolean exists(RestoreTestDb db) {
        return RestoreTestDb.databasesStartingWith(db.name).contains(db.name);
    }

    @Test
    void stagedCleanRestoreIntoANewDatabaseLoadsOverTwoConnectionsAndEqualsTheSource() {
        try (RestoreTestDb target = RestoreTestDb.absent()) {
            List<RestoreProgress> progress = java.util.Collections.synchronizedList(new ArrayList<>());
            RestoreReport report = staged(UUID.randomUUID())
                    .run(archive, section, target.info, RestoreOptions.cleanAll(), progress::add, () -> {});
            assertThat(report.ok()).as(report.toString()).isTrue();
            assertThat(report.committed()).isTrue();
            assertThat(report.path()).isEqualTo(RestoreReport.STAGING_DATABASE);
            assertThat(report.parallelConnections()).isEqualTo(2);
            assertLikeTheSource(target);
            assertThat(target.schemaDump()).isEqualTo(source.schemaDump());
            assertThat(report.tables().stream()
                            .filter(t -> t.name().equals("bulk"))
                            .findFirst()
                            .orElseThrow()
                            .rowsLoaded())
                    .isEqualTo(200_000);
            assertThat(report.validation())
                    .extracting(RestoreReport.Check::kind)
                    .contains("row-count", "foreign-key", "sequence");
            assertThat(report.validation()).allMatch(RestoreReport.Check::passed);
            RestoreProgress last = progress.get(progress.size() - 1);
            assertThat(last.bytesDone()).isEqualTo(last.bytesTotal()).isEqualTo(report.bytesLoaded());
            assertThat(last.rowsDone()).isEqualTo(last.rowsTotal());
            assertThat(leftovers(target)).isEmpty();
        }
    }

    @Test
    void stagedCleanRestoreIntoAnExistingEmptyDatabaseTakesItsPlace() throws Exception {
        try (RestoreTestDb target = RestoreTestDb.create()) {
            String owner =
                    target.query("SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = current_database()");
            UUID id = UUID.randomUUID();
            RestoreReport report = staged(id)
                    .run(
                            archive,
                            section,
                            target.info,
                            RestoreOptions.cleanAll(),
                            RestoreProgress.Listener.none(),
                            () -> {});
            assertThat(report.ok()).as(report.toString()).isTrue();
            assertThat(report.path()).isEqualTo(RestoreReport.STAGING_DATABASE);
            assertLikeTheSource(target);
            assertThat(target.schemaDump()).isEqualTo(source.schemaDump());
            assertThat(target.query(
                            "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = current_database()"))
                    .isEqualTo(owner);
            // the staging name is gone; the empty database it replaced waits under its retired name for the caller
            String retired = DatabaseRestore.retiredName(target.name, id);
            assertThat(leftovers(target)).containsExactly(retired);
            assertThat(DatabaseRestore.dropRetired(RestoreTestDb.FACTORY, target.info, retired))
                    .isEqualTo(DatabaseRestore.Retired.DROPPED);
            assertThat(leftovers(target)).isEmpty();
        }
    }

    @Test
    void dropRetiredDropsOnlyADatabaseThatHoldsNothingAndNobodyUses() throws Exception {
        String retired = DatabaseRestore.retiredName(
                "holdfast_rtest_" + UUID.randomUUID().toString().substring(0, 8), UUID.randomUUID());
        RestoreTestDb.admin("CREATE DATABASE " + retired);
        try (RestoreTestDb db = RestoreTestDb.named(retired)) {
            db.exec("CREATE TABLE public.kept (id int)", "INSERT INTO public.kept VALUES (7)");
            assertThat(DatabaseRestore.dropRetired(RestoreTestDb.FACTORY, db.info, retired))
                    .isEqualTo(DatabaseRestore.Retired.HOLDS_OBJECTS);
            // still there, with its row, and open to connections again
            assertThat(db.query("SELECT string_agg(id::text, ',') FROM public.kept"))
                    .isEqualTo("7");
            db.exec("DROP TABLE public.kept");

            try (Connection someone = db.connect()) {
                assertThat(DatabaseRestore.dropRetired(RestoreTestDb.FACTORY, db.info, retired))
                        .isEqualTo(DatabaseRestore.Retired.IN_USE);
                try (Statement st = someone.createStatement()) {
                    st.execute("SELECT 1");
                }
            }
            // an attempt that stopped after closing it to connections
            RestoreTestDb.admin("ALTER DATABASE " + retired + " ALLOW_CONNECTIONS false");
            assertThat(DatabaseRestore.dropRetired(RestoreTestDb.FACTORY, db.info, retired))
                    .isEqualTo(DatabaseRestore.Retired.DROPPED);
            assertThat(RestoreTestDb.databasesStartingWith(retired)).isEmpty();
            assertThat(DatabaseRestore.dropRetired(RestoreTestDb.FACTORY, db.info, retired))
                    .isEqualTo(DatabaseRestore.Retired.ABSENT);
        }
    }

    @Test
    void anEmptyTargetThatGainsATableDuringAStagedRestoreIsLeftAsItIs() {
        try (RestoreTestDb target = RestoreTestDb.create()) {
            java.util.concurrent.atomic.AtomicBoolean created = new java.util.concurrent.atomic.AtomicBoolean();
            // While the restore loads into its staging database, someone creates a table in the (empty) target.
            RestoreProgress.Listener listener = p -> {
                if ("load".equals(p.phase()) && !created.getAndSet(true)) {
                    target.exec(
                            "CREATE TABLE public.arrived_meanwhile (id int)",
                            "INSERT INTO public.arrived_meanwhile VALUES (42)");
                }
            };
            assertThatThrownBy(() -> staged(UUID.randomUUID())
                            .run(archive, section, target.info, RestoreOptions.cleanAll(), listener, () -> {}))
                    .isInstanceOf(RestoreException.class)
                    .hasMessageContaining("gained objects while the restore ran");
            assertThat(created).isTrue();
            // Nothing was dropped or replaced: the table and its row are still there, and only there.
            assertThat(target.query("SELECT string_agg(id::text, ',') FROM public.arrived_meanwhile"))
                    .isEqualTo("42");
            assertThat(target.query("SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                            + "WHERE n.nspname = 'public' AND c.relkind = 'r'"))
                    .isEqualTo("1");
            assertThat(leftovers(target)).isEmpty();
        }
    }

    @Test
    void stagedCleanRestoreOverlapsForeignKeysWithIndexBuildsAndEqualsTheSource() throws Exception {
        // No partitions, so keys, indexes and foreign keys run as one schedule (the fixture's partitions need
        // their index attachments between the two).
        Path file = Files.createTempFile("holdfast-rtest-fk", ".tar");
        try (RestoreTestDb src = RestoreTestDb.create();
                RestoreTestDb target = RestoreTestDb.absent()) {
            src.exec(
                    "CREATE TABLE public.owner (id bigint PRIMARY KEY, email text UNIQUE)",
                    "CREATE TABLE public.doc (id bigint PRIMARY KEY, owner bigint NOT NULL REFERENCES public.owner,"
                            + " parent bigint REFERENCES public.doc, title text)",
                    "CREATE TABLE public.note (id bigserial PRIMARY KEY, doc bigint REFERENCES public.doc,"
                            + " author bigint REFERENCES public.owner, body text)",
                    "CREATE INDEX note_body_idx ON public.note (body)",
                    "COMMENT ON CONSTRAINT note_doc_fkey ON public.note IS 'every note belongs to a document'",
                    "CREATE FUNCTION public.touch() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN RETURN NEW; END$$",
                    "CREATE TRIGGER note_touch BEFORE UPDATE ON public.note FOR EACH ROW EXECUTE FUNCTION public.touch()",
                    "INSERT INTO public.owner SELECT g, 'u' || g || '@example.com' FROM generate_series(1, 2000) g",
                    "INSERT INTO public.doc SELECT g, 1 + g % 2000, CASE WHEN g > 1 THEN g - 1 END, 'd' || g"
                            + " FROM generate_series(1, 20000) g",
                    "INSERT INTO public.note (doc, author, body) SELECT 1 + g % 20000, 1 + g % 2000, md5(g::text)"
                            + " FROM generate_series(1, 50000) g");
            Map<String, String> tables = src.tableHashes();
            Map<String, String> sequences = src.sequences();
            ArchiveReader fkArchive = src.backup(file);
            // The largest table, note, is held at the start of its load until a foreign key has started: the
            // other connection loads owner and doc meanwhile, builds their keys and adds the keys among them.
            List<String> tasks = holdLoadUntil("load public.note", "foreign-key ");
            RestoreReport report = staged(UUID.randomUUID())
                    .onStagedTask(tasks::add)
                    .run(
                            fkArchive,
                            fkArchive.manifest().databases().get(0),
                            target.info,
                            RestoreOptions.cleanAll(),
                            RestoreProgress.Listener.none(),
                            () -> {});
            assertThat(report.ok()).as(report.toString()).isTrue();
            assertThat(firstStarting(tasks, "foreign-key ")).isLessThan(tasks.indexOf("loaded public.note"));
            assertThat(tasks.indexOf("keys public.doc"))
                    .isGreaterThan(tasks.indexOf("loaded public.doc"))
                    .isLessThan(tasks.indexOf("loaded public.note"));
            // a foreign key only after both its tables are loaded and their keys built
            assertThat(tasks.indexOf("foreign-key public.note,public.owner"))
                    .isGreaterThan(tasks.indexOf("loaded public.note"))
                    .isGreaterThan(tasks.indexOf("keys public.owner"));
            assertThat(report.path()).isEqualTo(RestoreReport.STAGING_DATABASE);
            assertThat(target.tableHashes()).isEqualTo(tables);
            assertThat(target.sequences()).isEqualTo(sequences);
            assertThat(target.schemaDump()).isEqualTo(src.schemaDump());
            assertThat(target.query("SELECT count(*) FROM pg_constraint WHERE contype = 'f' AND convalidated"))
                    .isEqualTo("4");
            assertThat(report.validation())
                    .filteredOn(ch -> ch.kind().equals("foreign-key"))
                    .hasSize(4)
                    .allMatch(RestoreReport.Check::passed);
            assertThat(leftovers(target)).isEmpty();
        } finally {
            Files.deleteIfExists(file);
        }
    }

    /**
     * A task hook that records every event and holds the task starting as {@code held} until one starting with
     * {@code awaited} has started (a minute at most, so that a schedule that never starts it fails, not hangs).
     */
    static List<String> holdLoadUntil(String held, String awaited) {
        java.util.concurrent.CountDownLatch seen = new java.util.concurrent.CountDownLatch(1);
        List<String> events = new java.util.concurrent.CopyOnWriteArrayList<>() {
            @Override
            public boolean add(String e) {
                boolean added = super.add(e);
                if (e.startsWith(awaited)) {
                    seen.countDown();
                }
                if (e.equals(held)) {
                    try {
                        seen.await(60, java.util.concurrent.TimeUnit.SECONDS);
                    } catch (InterruptedException ex) {
                        Thread.currentThread().interrupt();
                    }
                }
                return added;
            }
        };
        return events;
    }

    static int firstStarting(List<String> events, String prefix) {
        for (int i = 0; i < events.size(); i++) {
            if (events.get(i).startsWith(prefix)) {
                return i;
            }
        }
        return Integer.MAX_VALUE;
    }

    @Test
    void stagedCleanRestoreBuildsATablesKeysWhileAnotherTableStillLoads() {
        try (RestoreTestDb target = RestoreTestDb.absent()) {
            // bulk, the largest table, is held at the start of its load until some other table's keys are being
            // built; with partitions in the fixture, the foreign keys still wait for the index attachments.
            List<String> tasks = holdLoadUntil("load public.bulk", "keys ");
            RestoreReport report = staged(UUID.randomUUID())
                    .onStagedTask(tasks::add)
                    .run(
                            archive,
                            section,
                            target.info,
                            RestoreOptions.cleanAll(),
                            RestoreProgress.Listener.none(),
                            () -> {});
            assertThat(report.ok()).as(report.toString()).isTrue();
            assertThat(report.path()).isEqualTo(RestoreReport.STAGING_DATABASE);
            assertThat(firstStarting(tasks, "keys ")).isLessThan(tasks.indexOf("loaded public.bulk"));
            assertThat(tasks.indexOf("keys public.bulk")).isGreaterThan(tasks.indexOf("loaded public.bulk"));
            // each table's keys after its own load; every foreign key after the last load and the last key
            for (String e : tasks) {
                if (e.startsWith("keys ") && tasks.contains("loaded " + e.substring(5))) {
                    assertThat(tasks.indexOf(e)).as(e).isGreaterThan(tasks.indexOf("loaded " + e.substring(5)));
                }
            }
            int lastKeys = 0;
            for (int i = 0; i < tasks.size(); i++) {
                if (tasks.get(i).startsWith("keys ") || tasks.get(i).startsWith("loaded ")) {
                    lastKeys = i;
                }
            }
            assertThat(firstStarting(tasks, "foreign-key ")).isGreaterThan(lastKeys);
            assertLikeTheSource(target);
            assertThat(target.schemaDump()).isEqualTo(source.schemaDump());
            assertThat(leftovers(target)).isEmpty();
        }
    }

    @Test
    void anInheritanceChildLoadedBeforeItsParentKeepsItsRows() throws Exception {
        Path file = Files.createTempFile("holdfast-rtest-inherit", ".tar");
        try (RestoreTestDb src = RestoreTestDb.create();
                RestoreTestDb target = RestoreTestDb.absent()) {
            // The child is loaded first; the parent's load must not empty it.
            src.exec(
                    "CREATE TABLE public.animal (id int PRIMARY KEY, name text)",
                    "CREATE TABLE public.cat (lives int) INHERITS (public.animal)",
                    "INSERT INTO public.animal SELECT g, 'a' || g FROM generate_series(1, 100) g",
                    "INSERT INTO public.cat SELECT g, md5(g::text), 9 FROM generate_series(1000, 60000) g");
            Map<String, String> tables = src.tableHashes();
            ArchiveReader a = src.backup(file);
            // The parent's load waits until the child's has committed (two connections, so it never blocks it).
            List<String> tasks = holdLoadUntil("load public.animal", "loaded public.cat");
            RestoreReport report = staged(UUID.randomUUID())
                    .onStagedTask(tasks::add)
                    .run(
                            a,
                            a.manifest().databases().get(0),
                            target.info,
                            RestoreOptions.cleanAll(),
                            RestoreProgress.Listener.none(),
                            () -> {});
            assertThat(report.ok()).as(report.toString()).isTrue();
            assertThat(report.path()).isEqualTo(RestoreReport.STAGING_DATABASE);
            assertThat(tasks.indexOf("loaded public.cat")).isLessThan(tasks.indexOf("loaded public.animal"));
            assertThat(target.query("SELECT count(*) FROM ONLY public.cat")).isEqualTo("59001");
            assertThat(target.query("SELECT count(*) FROM ONLY public.animal")).isEqualTo("100");
            assertThat(target.tableHashes()).isEqualTo(tables);
        } finally {
            Files.deleteIfExists(file);
        }
    }

    @Test
    void aTargetWithObjectsOrAnotherSessionKeepsTheSingleTransaction() throws Exception {
        try (RestoreTestDb target = mutatedCopy()) {
            RestoreReport report = staged(UUID.randomUUID())
                    .run(
                            archive,
                            section,
                            target.info,
                            RestoreOptions.cleanAll(),
                            RestoreProgress.Listener.none(),
                            () -> {});
            assertThat(report.ok()).as(report.toString()).isTrue();
            assertThat(report.path()).isEqualTo(RestoreReport.SINGLE_TRANSACTION);
            assertThat(report.parallelConnections()).isEqualTo(1);
            assertLikeTheSource(target);
            assertThat(leftovers(target)).isEmpty();
        }
        try (RestoreTestDb target = RestoreTestDb.create();
                Connection someoneElse = target.connect()) {
            RestoreReport report = staged(UUID.randomUUID())
                    .run(
                            archive,
                            section,
                            target.info,
                            RestoreOptions.cleanAll(),
                            RestoreProgress.Listener.none(),
                            () -> {});
            assertThat(report.path()).isEqualTo(RestoreReport.SINGLE_TRANSACTION);
            assertLikeTheSource(target);
            try (Statement st = someoneElse.createStatement()) {
                st.execute("SELECT 1");
            }
        }
        // a dry run never stages either
        try (RestoreTestDb target = RestoreTestDb.create()) {
            RestoreReport report = staged(UUID.randomUUID())
                    .run(
                            archive,
                            section,
                            target.info,
                            RestoreOptions.cleanAll().withDryRun(true),
                            RestoreProgress.Listener.none(),
                            () -> {});
            assertThat(report.path()).isEqualTo(RestoreReport.SINGLE_TRANSACTION);
            assertThat(report.committed()).isFalse();
            assertThat(target.tableHashes()).isEmpty();
        }
    }

    @Test
    void aStagedRestoreThatFailsWhileLoadingLeavesNoStagingDatabaseAndTheTargetAsItWas() throws Exception {
        EntryInfo bulk = archive.manifest().entries().stream()
                .filter(e -> e.name().contains("public.bulk"))
                .findFirst()
                .orElseThrow();
        Path tampered = Files.createTempFile("holdfast-rtest-staged", ".tar");
        try {
            ArchiveReader bad = tamperedRawSha(bulk, tampered);
            Manifest.DatabaseSection badSection = bad.manifest().databases().get(0);
            try (RestoreTestDb target = RestoreTestDb.absent()) {
                List<RestoreProgress> progress = java.util.Collections.synchronizedList(new ArrayList<>());
                assertThatThrownBy(() -> staged(UUID.randomUUID())
                                .run(bad, badSection, target.info, RestoreOptions.cleanAll(), progress::add, () -> {}))
                        .isInstanceOf(RestoreException.class)
                        .hasMessageContaining(bulk.name())
                        .hasMessageContaining(wrongRawSha(bulk));
                assertThat(progress).anyMatch(p -> "public.bulk".equals(p.table()) && p.tableBytesDone() > 0);
                assertThat(exists(target)).isFalse();
                assertThat(leftovers(target)).isEmpty();
            }
            try (RestoreTestDb target = RestoreTestDb.create()) {
                String schema = target.schemaDump();
                assertThatThrownBy(() -> staged(UUID.randomUUID())
                                .run(
                                        bad,
                                        badSection,
                                        target.info,
                                        RestoreOptions.cleanAll(),
                                        RestoreProgress.Listener.none(),
                                        () -> {}))
                        .isInstanceOf(RestoreException.class)
                        .hasMessageContaining(wrongRawSha(bulk));
                assertThat(exists(target)).isTrue();
                assertThat(target.tableHashes()).isEmpty();
                assertThat(target.schemaDump()).isEqualTo(schema);
                assertThat(leftovers(target)).isEmpty();
            }
        } finally {
            Files.deleteIfExists(tampered);
        }
    }

    @Test
    void aStagedRestoreCancelledDuringTheLoadRethrowsTheCancellationAndDropsTheStagingDatabase() {
        try (RestoreTestDb target = RestoreTestDb.absent()) {
            AtomicBoolean loading = new AtomicBoolean();
            AtomicInteger calls = new AtomicInteger();
            JobCancelledException cancel = new JobCancelledException("Cancelled by request", true);
            Runnable checkpoint = () -> {
                if (loading.get() && calls.incrementAndGet() > 20) {
                    throw cancel;
                }
            };
            assertThatThrownBy(() -> staged(UUID.randomUUID())
                            .run(
                                    archive,
                                    section,
                                    target.info,
                                    RestoreOptions.cleanAll(),
                                    p -> {
                                        if ("load".equals(p.phase()) && p.tableBytesDone() > 0) {
                                            loading.set(true);
                                        }
                                    },
                                    checkpoint))
                    .isSameAs(cancel);
            assertThat(exists(target)).isFalse();
            assertThat(leftovers(target)).isEmpty();
        }
    }

    @Test
    void cleanUpStagingDropsALeftStagingDatabaseAndGivesAMovedTargetItsNameBack() throws Exception {
        UUID id = UUID.randomUUID();
        try (RestoreTestDb target = RestoreTestDb.create()) {
            String staging = DatabaseRestore.stagingName(target.name, id);
            RestoreTestDb.admin("CREATE DATABASE " + staging);
            assertThat(DatabaseRestore.cleanUpStaging(RestoreTestDb.FACTORY, target.info, target.name, id))
                    .containsExactly("dropped the staging database " + staging);
            assertThat(leftovers(target)).isEmpty();
            assertThat(exists(target)).isTrue();

            // killed between the two renames: the empty target is under its retired name, the staging copy aside
            String retired = DatabaseRestore.retiredName(target.name, id);
            RestoreTestDb.admin("CREATE DATABASE " + staging);
            RestoreTestDb.admin("ALTER DATABASE " + target.name + " RENAME TO " + retired);
            assertThat(DatabaseRestore.cleanUpStaging(RestoreTestDb.FACTORY, target.info, target.name, id))
                    .containsExactly(
                            "dropped the staging database " + staging,
                            "renamed " + retired + " back to " + target.name);
            assertThat(exists(target)).isTrue();
            assertThat(leftovers(target)).isEmpty();
            assertThat(DatabaseRestore.cleanUpStaging(RestoreTestDb.FACTORY, target.info, target.name, id))
                    .isEmpty();

            // killed after both renames: the retired database goes, unless it gained objects meanwhile
            RestoreTestDb.admin("CREATE DATABASE " + retired);
            assertThat(DatabaseRestore.cleanUpStaging(RestoreTestDb.FACTORY, target.info, target.name, id))
                    .containsExactly("dropped the empty former target " + retired);
            RestoreTestDb.admin("CREATE DATABASE " + retired);
            try (RestoreTestDb gained = RestoreTestDb.named(retired)) {
                gained.exec("CREATE TABLE public.t (id int)");
                assertThat(DatabaseRestore.cleanUpStaging(RestoreTestDb.FACTORY, target.info, target.name, id))
                        .containsExactly(DatabaseRestore.Retired.HOLDS_OBJECTS.describe(retired));
                assertThat(leftovers(target)).containsExactly(retired);
            }
        }
    }

    @Test
    void stagingNamesStayWithinPostgresIdentifierLimit() {
        UUID id = UUID.fromString("0123abcd-0000-0000-0000-000000000000");
        assertThat(DatabaseRestore.stagingName("shop", id)).isEqualTo("shop__hf_0123abcd");
        assertThat(DatabaseRestore.retiredName("shop", id)).isEqualTo("shop__hf_old_0123abcd");
        String longName = "ä".repeat(40); // 80 bytes in UTF-8
        assertThat(DatabaseRestore.stagingName(longName, id).getBytes(StandardCharsets.UTF_8))
                .hasSizeLessThanOrEqualTo(63);
        assertThat(DatabaseRestore.retiredName(longName, id).getBytes(StandardCharsets.UTF_8))
                .hasSizeLessThanOrEqualTo(63);
        assertThat(DatabaseRestore.retiredName(longName, id))
                .endsWith("__hf_old_0123abcd")
                .startsWith("ääää");
    }
}
