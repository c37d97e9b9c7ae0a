package dev.holdfast.pg;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class SelectionTest {

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

    @Test
    void everythingSelectedCopiesLeafTablesOnlyAndNeverHoldfast() {
        Selection.Result r = Selection.all().apply(catalog);
        assertThat(r.tables()).hasSize(catalog.tables().size());
        assertThat(r.dataTables())
                .extracting(PgCatalog.Table::ref)
                .doesNotContain(t("sales", "measurement"))
                .contains(t("sales", "measurement_2024"), t("sales", "measurement_2025"), t("public", "empty_table"));
        assertThat(r.excludedSchemas()).containsExactly("holdfast");
        assertThat(r.warnings()).isEmpty();
        assertThat(Selection.all().withIncludeSchemas("*").schemaSelected("holdfast"))
                .isFalse();
    }

    @Test
    void excludingAppsByGlobAndQualifiedNameWarnsAboutTablesStillReferencingThem() {
        Selection.Result r = Selection.all()
                .withExcludeTables("auth_*", "public.django_session")
                .apply(catalog);
        assertThat(r.excludedTables())
                .containsExactly(t("public", "auth_group"), t("public", "auth_user"), t("public", "django_session"));
        assertThat(r.warnings())
                .singleElement()
                .asString()
                .contains("public\".\"profile\"", "\"public\".\"auth_user\"", "profile_user_fk");
    }

    @Test
    void schemaPatternSelectsASchemaWithItsPartitions() {
        Selection.Result r = Selection.all().withIncludeSchemas("sales").apply(catalog);
        assertThat(r.tableRefs())
                .containsExactly(
                        t("sales", "customer"),
                        t("sales", "measurement"),
                        t("sales", "measurement_2024"),
                        t("sales", "measurement_2025"));
        assertThat(r.excludedSchemas()).containsExactly("Audit", "public", "holdfast");
    }

    @Test
    void excludingASchemaWarnsWhenAnIncludedTableReferencesIt() {
        Selection.Result r = Selection.all().withExcludeTables("sales.*").apply(catalog);
        assertThat(r.tableRefs()).noneMatch(x -> x.schema().equals("sales"));
        assertThat(r.warnings()).singleElement().asString().contains("order_customer_fk");
    }

    @Test
    void schemaOnlyKeepsTheTableAndItsPartitionsButNotTheirRows() {
        Selection.Result r = Selection.all()
                .withSchemaOnlyTables("sales.measurement", "empty_*")
                .apply(catalog);
        assertThat(r.schemaOnly())
                .extracting(PgCatalog.Table::ref)
                .containsExactly(
                        t("public", "empty_table"),
                        t("sales", "measurement"),
                        t("sales", "measurement_2024"),
                        t("sales", "measurement_2025"));
        assertThat(r.dataTables())
                .extracting(PgCatalog.Table::ref)
                .doesNotContain(t("sales", "measurement_2024"), t("public", "empty_table"));
        assertThat(r.tables()).extracting(PgCatalog.Table::ref).contains(t("sales", "measurement_2024"));
        assertThat(r.warnings()).isEmpty();

        Selection.Result customers =
                Selection.all().withSchemaOnlyTables("sales.customer").apply(catalog);
        assertThat(customers.warnings())
                .hasSize(2)
                .allMatch(w -> w.contains("schema-only table \"sales\".\"customer\""));
    }

    @Test
    void namesAreCaseSensitiveAndQuestionMarkIsOneCharacter() {
        assertThat(Selection.all().withIncludeTables("order").apply(catalog).tables())
                .isEmpty();
        assertThat(Selection.all().withIncludeTables("Order").apply(catalog).tableRefs())
                .containsExactly(t("public", "Order"));
        assertThat(Selection.all().withIncludeTables("?").apply(catalog).tableRefs())
                .containsExactly(t("public", "a"), t("public", "b"), t("public", "c"));
        assertThat(Selection.all()
                        .withIncludeTables("Audit.Event*")
                        .apply(catalog)
                        .tableRefs())
                .containsExactly(t("Audit", "EventLog"));
        assertThat(Selection.all()
                        .withExcludeSchemas("Aud?t", "sales")
                        .apply(catalog)
                        .tableRefs())
                .allMatch(x -> x.schema().equals("public"));
    }

    @Test
    void aPartitionCanBeExcludedByItsOwnName() {
        Selection.Result r =
                Selection.all().withExcludeTables("measurement_2024").apply(catalog);
        assertThat(r.tableRefs())
                .contains(t("sales", "measurement"), t("sales", "measurement_2025"))
                .doesNotContain(t("sales", "measurement_2024"));
    }
}
