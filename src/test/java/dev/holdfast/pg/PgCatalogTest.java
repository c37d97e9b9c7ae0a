package dev.holdfast.pg;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class PgCatalogTest {

    static PgTestDatabase db;
    static PgCatalog catalog;

    @BeforeAll
    static void setUp() throws Exception {
        db = PgTestDatabase.withFixture();
        try (Connection c = db.connect()) {
            catalog = PgCatalog.read(c);
        }
    }

    @AfterAll
    static void tearDown() {
        db.close();
    }

    static TableRef t(String schema, String name) {
        return new TableRef(schema, name);
    }

    PgCatalog.Table table(String schema, String name) {
        return catalog.table(t(schema, name)).orElseThrow();
    }

    @Test
    void listsUserTablesOfEverySchemaButHoldfastsOwnInNameOrder() {
        assertThat(catalog.tables())
                .extracting(PgCatalog.Table::ref)
                .containsExactly(
                        t("Audit", "EventLog"),
                        t("public", "Order"),
                        t("public", "a"),
                        t("public", "auth_group"),
                        t("public", "auth_user"),
                        t("public", "b"),
                        t("public", "c"),
                        t("public", "django_session"),
                        t("public", "employee"),
                        t("public", "empty_table"),
                        t("public", "everything"),
                        t("public", "profile"),
                        t("public", "select"),
                        t("sales", "customer"),
                        t("sales", "measurement"),
                        t("sales", "measurement_2024"),
                        t("sales", "measurement_2025"));
        assertThat(catalog.schemas()).containsExactly("Audit", "public", "sales");
        assertThat(catalog.serverVersionNum()).isGreaterThanOrEqualTo(100000);
        assertThat(catalog.serverMajor()).isEqualTo(catalog.serverVersionNum() / 10000);
    }

    @Test
    void partitionedParentsCarryNoDataAndPartitionsNameTheirParent() {
        PgCatalog.Table parent = table("sales", "measurement");
        assertThat(parent.partitioned()).isTrue();
        assertThat(parent.dataCarrying()).isFalse();
        assertThat(parent.partitionOf()).isEmpty();
        PgCatalog.Table p2024 = table("sales", "measurement_2024");
        assertThat(p2024.dataCarrying()).isTrue();
        assertThat(p2024.partitionOf()).contains(t("sales", "measurement"));
        assertThat(p2024.partitionBound())
                .hasValueSatisfying(b -> assertThat(b).isEqualTo("FOR VALUES FROM ('2024-01-01') TO ('2025-01-01')"));
        assertThat(p2024.primaryKey()).containsExactly("id", "logdate");
    }

    @Test
    void columnsComeInAttnumOrderWithTypesIdentityAndGeneratedFlags() {
        PgCatalog.Table everything = table("public", "everything");
        Map<String, PgCatalog.Column> cols =
                everything.columns().stream().collect(Collectors.toMap(PgCatalog.Column::name, Function.identity()));
        assertThat(everything.columns())
                .extracting(PgCatalog.Column::name)
                .containsExactly(
                        "id", "mood", "moods", "qty", "tags", "doc", "blob", "amount", "at", "note", "doubled");
        assertThat(everything.copyColumns())
                .containsExactly("id", "mood", "moods", "qty", "tags", "doc", "blob", "amount", "at", "note");
        assertThat(cols.get("id").identity()).isEqualTo(PgCatalog.IdentityKind.BY_DEFAULT);
        assertThat(cols.get("id").nullable()).isFalse();
        assertThat(cols.get("mood").type()).isEqualTo("mood");
        assertThat(cols.get("moods").type()).isEqualTo("mood[]");
        assertThat(cols.get("qty").type()).isEqualTo("positive_int");
        assertThat(cols.get("at").type()).isEqualTo("timestamp with time zone");
        assertThat(cols.get("doubled").generated()).isTrue();
        assertThat(cols.get("note").nullable()).isTrue();
        assertThat(table("public", "employee").columns().get(0).identity()).isEqualTo(PgCatalog.IdentityKind.ALWAYS);
        assertThat(table("public", "Order").columns())
                .extracting(PgCatalog.Column::type)
                .contains("numeric(12,2)", "bigint");
    }

    @Test
    void primaryKeysKeepTheirColumnOrderAndTablesWithoutOneSayFalse() {
        assertThat(table("sales", "customer").primaryKey()).containsExactly("region", "id");
        assertThat(table("public", "select").hasPrimaryKey()).isFalse();
        assertThat(table("public", "select").primaryKey()).isEmpty();
        assertThat(table("public", "Order").primaryKey()).containsExactly("id");
    }

    @Test
    void estimatesComeFromStatisticsAndSizesFromPgTableSize() {
        assertThat(table("public", "everything").estimatedRows()).isEqualTo(3);
        assertThat(table("public", "everything").sizeBytes()).isGreaterThan(0);
        assertThat(table("public", "empty_table").sizeBytes()).isZero();
        assertThat(table("sales", "measurement").sizeBytes()).isZero();
    }

    @Test
    void foreignKeysCarryColumnsDeferrabilityAndActionsOncePerPartitionedParent() {
        Map<String, PgCatalog.ForeignKey> fks = catalog.foreignKeys().stream()
                .collect(Collectors.toMap(PgCatalog.ForeignKey::name, Function.identity()));
        assertThat(fks.keySet())
                .containsExactlyInAnyOrder(
                        "a_b_fk",
                        "b_c_fk",
                        "c_a_fk",
                        "employee_manager_fk",
                        "order_customer_fk",
                        "select_order_fk",
                        "measurement_customer_fk",
                        "session_user_fk",
                        "profile_user_fk");
        PgCatalog.ForeignKey order = fks.get("order_customer_fk");
        assertThat(order.from()).isEqualTo(t("public", "Order"));
        assertThat(order.to()).isEqualTo(t("sales", "customer"));
        assertThat(order.fromColumns()).containsExactly("region", "customer_id");
        assertThat(order.toColumns()).containsExactly("region", "id");
        assertThat(order.deferrable()).isFalse();
        assertThat(fks.get("a_b_fk").deferrable()).isTrue();
        assertThat(fks.get("a_b_fk").initiallyDeferred()).isTrue();
        assertThat(fks.get("c_a_fk").onDelete()).isEqualTo("SET NULL");
        assertThat(fks.get("employee_manager_fk").onDelete()).isEqualTo("CASCADE");
        assertThat(fks.get("employee_manager_fk").selfReference()).isTrue();
        assertThat(fks.get("measurement_customer_fk").from()).isEqualTo(t("sales", "measurement"));
        assertThat(fks.get("select_order_fk").fromColumns()).containsExactly("Order_id");
    }

    @Test
    void sequencesCarryStateOwnerAndIdentityButNeverHoldfastOnes() {
        Map<TableRef, PgCatalog.Sequence> seqs =
                catalog.sequences().stream().collect(Collectors.toMap(PgCatalog.Sequence::ref, Function.identity()));
        assertThat(seqs.keySet())
                .containsExactlyInAnyOrder(
                        t("Audit", "EventLog_id_seq"),
                        t("public", "Order_id_seq"),
                        t("public", "employee_id_seq"),
                        t("public", "everything_id_seq"));
        PgCatalog.Sequence event = seqs.get(t("Audit", "EventLog_id_seq"));
        assertThat(event.lastValue()).isEqualTo(41);
        assertThat(event.isCalled()).isFalse();
        assertThat(event.ownedByTable()).contains(t("Audit", "EventLog"));
        assertThat(event.ownedByColumn()).contains("id");
        assertThat(event.identity()).isFalse();
        assertThat(event.dataType()).isEqualTo("integer");
        PgCatalog.Sequence order = seqs.get(t("public", "Order_id_seq"));
        assertThat(order.lastValue()).isEqualTo(3);
        assertThat(order.isCalled()).isTrue();
        assertThat(order.dataType()).isEqualTo("bigint");
        PgCatalog.Sequence employee = seqs.get(t("public", "employee_id_seq"));
        assertThat(employee.identity()).isTrue();
        assertThat(employee.ownedByColumn()).contains("id");
        assertThat(employee.lastValue()).isEqualTo(3);
        assertThat(employee.increment()).isEqualTo(1);
        assertThat(employee.maxValue()).isEqualTo(Integer.MAX_VALUE);
        assertThat(employee.cycle()).isFalse();
    }

    @Test
    void furtherSchemasCanBeExcluded() throws Exception {
        try (Connection c = db.connect()) {
            PgCatalog withoutSales = PgCatalog.read(c, List.of("sales", "Audit"));
            assertThat(withoutSales.tables()).extracting(x -> x.ref().schema()).containsOnly("public");
            assertThat(withoutSales.schemas()).containsExactly("public");
            // the FK into the excluded schema is still reported, so selection can warn about it
            assertThat(withoutSales.foreignKeys())
                    .extracting(PgCatalog.ForeignKey::name)
                    .contains("order_customer_fk");
        }
    }

    @Test
    void binaryCopyOnlyForTablesWhoseEveryColumnTypeHasAPortableBinaryForm() throws Exception {
        // The fixture: everything has mood[] (an array of a type created in the database: its binary form
        // embeds the enum's OID), the rest only built-in types, enums and domains over built-ins.
        assertThat(table("public", "everything").binaryCopy()).isFalse();
        assertThat(table("public", "employee").binaryCopy()).isTrue();
        assertThat(table("sales", "customer").binaryCopy()).isTrue();
        try (Connection c = db.connect();
                java.sql.Statement st = c.createStatement()) {
            st.execute("""
                    CREATE SCHEMA bin;
                    CREATE TYPE bin.pair AS (a int, b text);
                    CREATE DOMAIN bin.small AS int CHECK (VALUE < 100);
                    CREATE TABLE bin.plain (i int, t text[], j jsonb, n numeric, ts timestamptz[], r int4range);
                    CREATE TABLE bin.with_enum_and_domain (m public.mood, q bin.small);
                    CREATE TABLE bin.with_composite (p bin.pair);
                    CREATE TABLE bin.with_domain_array (q bin.small[]);
                    CREATE TABLE bin.with_aclitem (acl aclitem[]);
                    """);
            try {
                PgCatalog fresh = PgCatalog.read(c);
                Map<String, Boolean> binary = fresh.tables().stream()
                        .filter(t -> t.ref().schema().equals("bin"))
                        .collect(Collectors.toMap(t -> t.ref().name(), PgCatalog.Table::binaryCopy));
                assertThat(binary)
                        .containsExactlyInAnyOrderEntriesOf(Map.of(
                                "plain", true,
                                "with_enum_and_domain", true,
                                "with_composite", false,
                                "with_domain_array", false,
                                "with_aclitem", false));
            } finally {
                st.execute("DROP SCHEMA bin CASCADE");
            }
        }
    }
}
