package dev.holdfast.pg;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Backs the fixture up through the engine's pieces and restores it into another database by the same pieces. */
class CopyRoundTripTest {

    static PgTestDatabase source;
    static PgTools tools;

    @BeforeAll
    static void setUp() {
        source = PgTestDatabase.withFixture();
        tools = PgTools.locate(Optional.empty());
    }

    @AfterAll
    static void tearDown() {
        source.close();
    }

    record Dumped(
            PgCatalog catalog,
            FkGraph graph,
            Selection.Result selection,
            byte[] schema,
            Map<TableRef, byte[]> data,
            Map<TableRef, CopyStreamer.CopyResult> results) {}

    static Dumped dump(CopyStreamer.Format format) throws Exception {
        try (SnapshotSession s = SnapshotSession.begin(PgTestDatabase.FACTORY, source.info, Duration.ofSeconds(10))) {
            PgCatalog catalog = PgCatalog.read(s.coordinator());
            tools.requireCompatible(catalog.serverVersionNum());
            Selection.Result selection = Selection.all().apply(catalog);
            s.lockTables(selection.tableRefs());
            ByteArrayOutputStream schema = new ByteArrayOutputStream();
            tools.dumpSchema(source.info, s.snapshotId(), PgTools.DumpFilter.of(selection), s.lockTimeout(), schema);
            Connection worker = s.openWorker();
            Map<TableRef, byte[]> data = new HashMap<>();
            Map<TableRef, CopyStreamer.CopyResult> results = new HashMap<>();
            for (PgCatalog.Table t : FkGraph.dumpOrder(selection.dataTables())) {
                ByteArrayOutputStream out = new ByteArrayOutputStream();
                results.put(t.ref(), new CopyStreamer(512).copyOut(worker, t.ref(), t.copyColumns(), format, out));
                data.put(t.ref(), out.toByteArray());
            }
            return new Dumped(
                    catalog,
                    FkGraph.of(catalog, selection.tableRefs()),
                    selection,
                    schema.toByteArray(),
                    data,
                    results);
        }
    }

    @Test
    void textCopyRoundTripsEveryTableIntoAnotherDatabaseWithTheSnapshotSchema() throws Exception {
        Dumped d = dump(CopyStreamer.Format.TEXT);
        for (PgCatalog.Table t : d.selection().dataTables()) {
            CopyStreamer.CopyResult r = d.results().get(t.ref());
            assertThat(r.rows())
                    .as(t.ref().toString())
                    .isEqualTo(Long.parseLong(
                            source.queryString("SELECT count(*) FROM " + t.ref().sql())));
            assertThat(r.bytes()).isEqualTo(d.data().get(t.ref()).length);
            // COPY text escapes embedded newlines, so newline bytes count rows exactly
            long newlines = new String(d.data().get(t.ref()), StandardCharsets.UTF_8)
                    .chars()
                    .filter(ch -> ch == '\n')
                    .count();
            assertThat(newlines).isEqualTo(r.rows());
        }
        assertThat(new String(d.data().get(new TableRef("public", "everything")), StandardCharsets.UTF_8))
                .contains("tabs\\tnew\\nlines\\r\\nback\\\\slash ✓ 🐘 \\\\N literal");

        List<String> toc = tools.list(new ByteArrayInputStream(d.schema()));
        assertThat(toc)
                .anyMatch(l -> l.contains("TABLE public Order "))
                .anyMatch(l -> l.contains("TABLE public select "))
                .anyMatch(l -> l.contains("TABLE Audit EventLog "))
                .anyMatch(l -> l.contains("TABLE sales measurement_2024 "))
                .anyMatch(l -> l.contains("FK CONSTRAINT public a a_b_fk"))
                .noneMatch(l -> l.contains(" holdfast "))
                .noneMatch(l -> l.contains("TABLE DATA"));

        restoreAndCompare(d, CopyStreamer.Format.TEXT);
    }

    @Test
    void binaryCopyRoundTripsEveryTableIntoAnotherDatabaseToo() throws Exception {
        Dumped d = dump(CopyStreamer.Format.BINARY);
        TableRef everything = new TableRef("public", "everything");
        assertThat(d.results().get(everything).rows()).isEqualTo(3);
        assertThat(new String(d.data().get(everything), 0, 11, StandardCharsets.ISO_8859_1))
                .isEqualTo("PGCOPY\n\u00ff\r\n\0");
        // arrays of enums embed the enum's OID, which differs in the target; the server accepts it anyway
        restoreAndCompare(d, CopyStreamer.Format.BINARY);
    }

    @Test
    void schemaDumpLeavesOutExactlyWhatTheSelectionExcludesEvenWithQuotedNames() throws Exception {
        try (SnapshotSession s = SnapshotSession.begin(PgTestDatabase.FACTORY, source.info, Duration.ofSeconds(10))) {
            PgCatalog catalog = PgCatalog.read(s.coordinator());
            Selection.Result selection = Selection.all()
                    .withExcludeSchemas("Aud*")
                    .withExcludeTables("Order", "public.select")
                    .withSchemaOnlyTables("sales.*")
                    .apply(catalog);
            s.lockTables(selection.tableRefs());
            ByteArrayOutputStream schema = new ByteArrayOutputStream();
            tools.dumpSchema(source.info, s.snapshotId(), PgTools.DumpFilter.of(selection), s.lockTimeout(), schema);
            List<String> toc = tools.list(new ByteArrayInputStream(schema.toByteArray()));
            assertThat(toc)
                    .noneMatch(l -> l.contains("TABLE public Order ") || l.contains("TABLE public select "))
                    .noneMatch(l -> l.contains(" Audit "))
                    .noneMatch(l -> l.contains(" holdfast "))
                    .noneMatch(l -> l.contains("select_order_fk") || l.contains("order_customer_fk"))
                    .anyMatch(l -> l.contains("TABLE public a "))
                    .anyMatch(l -> l.contains("TABLE sales customer "))
                    .anyMatch(l -> l.contains("TABLE sales measurement_2025 "));
        }
    }

    @Test
    void pageRangesTogetherCopyExactlyTheWholeTable() throws Exception {
        source.execute(
                "CREATE TABLE public.wide AS SELECT g AS id, repeat(md5(g::text), 4) AS pad FROM generate_series(1, 20000) g;"
                        + "DELETE FROM public.wide WHERE id % 7 = 0");
        try (SnapshotSession s = SnapshotSession.begin(PgTestDatabase.FACTORY, source.info, Duration.ofSeconds(10))) {
            TableRef wide = new TableRef("public", "wide");
            s.lockTables(List.of(wide));
            Connection w = s.openWorker();
            List<CopyStreamer.CtidRange> ranges = CopyStreamer.pageRanges(w, wide, 4, 1);
            assertThat(ranges).hasSize(4);
            assertThat(ranges.get(3).openEnded()).isTrue();
            List<String> lines = new ArrayList<>();
            long rows = 0;
            for (CopyStreamer.CtidRange r : ranges) {
                ByteArrayOutputStream out = new ByteArrayOutputStream();
                rows += new CopyStreamer()
                        .copyOut(w, wide, List.of("id", "pad"), CopyStreamer.Format.TEXT, r, out)
                        .rows();
                lines.addAll(out.toString(StandardCharsets.UTF_8).lines().toList());
            }
            ByteArrayOutputStream whole = new ByteArrayOutputStream();
            new CopyStreamer().copyOut(w, wide, List.of("id", "pad"), CopyStreamer.Format.TEXT, whole);
            assertThat(rows).isEqualTo(20000 - 20000 / 7);
            assertThat(lines)
                    .containsExactlyInAnyOrderElementsOf(
                            whole.toString(StandardCharsets.UTF_8).lines().toList());
            try (PreparedStatement ps = w.prepareStatement("EXPLAIN "
                            + CopyStreamer.copyOutSql(wide, List.of("id"), CopyStreamer.Format.TEXT, ranges.get(1))
                                    .replaceFirst("^COPY \\((.*)\\) TO STDOUT$", "$1"));
                    ResultSet rs = ps.executeQuery()) {
                rs.next();
                assertThat(rs.getString(1)).contains("Tid Range Scan");
            }
            assertThat(CopyStreamer.pageRanges(w, wide, 4, 1_000_000))
                    .containsExactly(new CopyStreamer.CtidRange(0, -1));
        } finally {
            source.execute("DROP TABLE public.wide");
        }
    }

    @Test
    void aFailingOutputStreamStopsTheCopyAndNamesTheTable() throws Exception {
        source.execute("CREATE TABLE public.many AS SELECT g AS id FROM generate_series(1, 200000) g");
        try (Connection c = source.connect()) {
            long[] written = new long[1];
            java.io.OutputStream failsAfter64k = new java.io.OutputStream() {
                @Override
                public void write(int b) throws java.io.IOException {
                    write(new byte[] {(byte) b}, 0, 1);
                }

                @Override
                public void write(byte[] b, int off, int len) throws java.io.IOException {
                    if ((written[0] += len) > 65536) {
                        throw new java.io.IOException("disk full");
                    }
                }
            };
            assertThatThrownBy(() -> new CopyStreamer(4096)
                            .copyOut(
                                    c,
                                    new TableRef("public", "many"),
                                    List.of("id"),
                                    CopyStreamer.Format.TEXT,
                                    failsAfter64k))
                    .isInstanceOf(PgEngineException.class)
                    .hasMessageContaining("disk full")
                    .hasMessageContaining("\"public\".\"many\"");
            assertThat(written[0]).isLessThan(65536 + 4096 + 1);
        } finally {
            source.execute("DROP TABLE public.many");
        }
    }

    static void restoreAndCompare(Dumped d, CopyStreamer.Format format) throws Exception {
        try (PgTestDatabase target = PgTestDatabase.create()) {
            tools.restore(
                    target.info,
                    new ByteArrayInputStream(d.schema()),
                    PgTools.Section.PRE_DATA,
                    PgTools.RestoreOptions.defaults());
            try (Connection c = target.connect()) {
                c.setAutoCommit(false);
                for (TableRef ref : d.graph().restoreOrder()) {
                    PgCatalog.Table t = d.catalog().table(ref).orElseThrow();
                    if (!t.dataCarrying()) {
                        continue;
                    }
                    CopyStreamer.CopyResult in = new CopyStreamer()
                            .copyIn(
                                    c,
                                    ref,
                                    t.copyColumns(),
                                    format,
                                    new ByteArrayInputStream(d.data().get(ref)));
                    assertThat(in.rows()).isEqualTo(d.results().get(ref).rows());
                }
                for (PgCatalog.Sequence seq : d.catalog().sequences()) {
                    try (PreparedStatement ps = c.prepareStatement("SELECT setval(?::regclass, ?, ?)")) {
                        ps.setString(1, seq.ref().sql());
                        ps.setLong(2, seq.lastValue());
                        ps.setBoolean(3, seq.isCalled());
                        ps.execute();
                    }
                }
                c.commit();
            }
            // post-data adds the foreign keys, which validates every restored reference, cycles included
            tools.restore(
                    target.info,
                    new ByteArrayInputStream(d.schema()),
                    PgTools.Section.POST_DATA,
                    PgTools.RestoreOptions.defaults());

            for (PgCatalog.Table t : d.catalog().tables()) {
                assertThat(target.tableHash(t.ref())).as(t.ref().toString()).isEqualTo(source.tableHash(t.ref()));
            }
            assertThat(target.queryString("SELECT count(*) FROM sales.measurement"))
                    .isEqualTo("3");
            try (Connection c = target.connect()) {
                PgCatalog restored = PgCatalog.read(c);
                assertThat(restored.sequences()).isEqualTo(d.catalog().sequences());
                assertThat(restored.foreignKeys()).isEqualTo(d.catalog().foreignKeys());
            }
            assertThat(target.queryString("SELECT count(*) FROM pg_namespace WHERE nspname = 'holdfast'"))
                    .isEqualTo("0");
        }
    }
}
