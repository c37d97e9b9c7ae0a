package dev.holdfast.pg;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class FkGraphTest {

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

    static TableRef t(String name) {
        return name.contains(".")
                ? new TableRef(name.split("\\.")[0], name.split("\\.")[1])
                : new TableRef("public", name);
    }

    @Test
    void restoreOrderPutsReferencedTablesFirstForEveryEdgeOutsideACycle() {
        FkGraph g = FkGraph.of(catalog);
        List<TableRef> order = g.restoreOrder();
        assertThat(order)
                .containsExactlyInAnyOrderElementsOf(
                        catalog.tables().stream().map(PgCatalog.Table::ref).toList());
        assertThat(g.edges()).isNotEmpty();
        for (FkGraph.Edge e : g.edges()) {
            if (!g.inCycle(e)) {
                assertThat(order.indexOf(e.to())).as(e.toString()).isLessThan(order.indexOf(e.from()));
            }
        }
        // partitions inherit the parent's key: both load after the customer they reference
        assertThat(order.indexOf(t("sales.customer"))).isLessThan(order.indexOf(t("sales.measurement_2024")));
        assertThat(order.indexOf(t("public.Order"))).isLessThan(order.indexOf(t("public.select")));
    }

    @Test
    void findsExactlyTheSelfReferenceAndTheThreeTableCycle() {
        FkGraph g = FkGraph.of(catalog);
        assertThat(g.cycles()).hasSize(2);
        FkGraph.Cycle abc = g.cycles().get(0);
        assertThat(abc.tables()).containsExactlyInAnyOrder(t("a"), t("b"), t("c"));
        assertThat(abc.constraints()).containsExactly("a_b_fk", "b_c_fk", "c_a_fk");
        assertThat(abc.breakingConstraints()).hasSize(1);
        FkGraph.Cycle self = g.cycles().get(1);
        assertThat(self.tables()).containsExactly(t("employee"));
        assertThat(self.constraints()).containsExactly("employee_manager_fk");
        assertThat(self.breakingConstraints()).containsExactly("employee_manager_fk");
        // within the cycle the order honours every key but the breaking one
        List<TableRef> order = g.restoreOrder();
        for (FkGraph.Edge e : g.edges()) {
            if (abc.tables().contains(e.from()) && !abc.breakingConstraints().contains(e.constraint())) {
                assertThat(order.indexOf(e.to())).isLessThan(order.indexOf(e.from()));
            }
        }
    }

    @Test
    void orderIsDeterministicRegardlessOfInputOrder() {
        List<TableRef> nodes = new ArrayList<>(List.of(t("z"), t("y"), t("x"), t("w"), t("v")));
        List<FkGraph.Edge> edges = new ArrayList<>(List.of(new FkGraph.Edge(t("z"), t("w"), "z_w")));
        FkGraph one = FkGraph.build(nodes, edges);
        java.util.Collections.reverse(nodes);
        FkGraph two = FkGraph.build(nodes, edges);
        assertThat(one.restoreOrder())
                .isEqualTo(two.restoreOrder())
                .containsExactly(t("v"), t("w"), t("x"), t("y"), t("z"));
        assertThat(one.cycles()).isEmpty();
    }

    @Test
    void separateCyclesAreEachFoundAndEdgesOutOfSelectionAreIgnored() {
        List<FkGraph.Edge> edges = List.of(
                new FkGraph.Edge(t("p"), t("q"), "p_q"),
                new FkGraph.Edge(t("q"), t("p"), "q_p"),
                new FkGraph.Edge(t("r"), t("s"), "r_s"),
                new FkGraph.Edge(t("s"), t("t"), "s_t"),
                new FkGraph.Edge(t("t"), t("r"), "t_r"),
                new FkGraph.Edge(t("t"), t("p"), "t_p"),
                new FkGraph.Edge(t("u"), t("missing"), "u_missing"));
        FkGraph g = FkGraph.build(List.of(t("p"), t("q"), t("r"), t("s"), t("t"), t("u")), edges);
        assertThat(g.cycles())
                .extracting(FkGraph.Cycle::constraints)
                .containsExactly(List.of("p_q", "q_p"), List.of("r_s", "s_t", "t_r"));
        assertThat(g.edges()).extracting(FkGraph.Edge::constraint).doesNotContain("u_missing");
        List<TableRef> order = g.restoreOrder();
        assertThat(order.indexOf(t("p"))).isLessThan(order.indexOf(t("t")));
        assertThat(order.indexOf(t("q"))).isLessThan(order.indexOf(t("t")));
    }

    @Test
    void aLongChainNeitherOverflowsTheStackNorTakesLong() {
        int n = 20_000;
        List<TableRef> nodes = IntStream.range(0, n)
                .mapToObj(i -> t(String.format("t%06d", i)))
                .toList();
        List<FkGraph.Edge> edges = IntStream.range(0, n - 1)
                .mapToObj(i -> new FkGraph.Edge(nodes.get(i), nodes.get(i + 1), "fk" + i))
                .toList();
        long start = System.nanoTime();
        FkGraph g = FkGraph.build(nodes, edges);
        assertThat(System.nanoTime() - start).isLessThan(5_000_000_000L);
        assertThat(g.restoreOrder().get(0)).isEqualTo(nodes.get(n - 1));
        assertThat(g.restoreOrder().get(n - 1)).isEqualTo(nodes.get(0));
        assertThat(g.cycles()).isEmpty();
    }

    @Test
    void dumpOrderIsLargestFirstWithTiesByName() {
        PgCatalog.Table small = table("small", 10);
        PgCatalog.Table big = table("big", 1000);
        PgCatalog.Table alsoSmall = table("also_small", 10);
        assertThat(FkGraph.dumpOrder(List.of(small, big, alsoSmall))).containsExactly(big, alsoSmall, small);
    }

    private static PgCatalog.Table table(String name, long size) {
        return new PgCatalog.Table(
                t(name), 1, false, Optional.empty(), Optional.empty(), List.of(), List.of(), 0, size, true);
    }
}
