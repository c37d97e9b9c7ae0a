package dev.holdfast.pg;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The foreign-key dependency graph of a set of tables: a deterministic restore order (referenced tables
 * first) and the cycles, found with Tarjan's strongly connected components, that no order can satisfy.
 *
 * <p>Edges on a partitioned table apply to its partitions: a table referencing a partitioned parent
 * depends on every partition of it, and a partition inherits its parent's outgoing keys. Edges to tables
 * outside the set are ignored here (selection reports them).
 */
public final class FkGraph {

    /** A dependency: {@code from} references {@code to}, so {@code to} loads first. */
    public record Edge(TableRef from, TableRef to, String constraint) {}

    /**
     * Tables that reference each other in a cycle (one table for a self-reference), with the foreign
     * keys that break it: those pointing forward in {@link #restoreOrder()}, which must be deferred or
     * added after the data is loaded. {@code constraints} lists every key inside the cycle.
     */
    public record Cycle(List<TableRef> tables, List<String> constraints, List<String> breakingConstraints) {}

    private final List<TableRef> nodes;
    private final List<Edge> edges;
    private final List<TableRef> restoreOrder;
    private final List<Cycle> cycles;

    private FkGraph(List<TableRef> nodes, List<Edge> edges, List<TableRef> restoreOrder, List<Cycle> cycles) {
        this.nodes = nodes;
        this.edges = edges;
        this.restoreOrder = restoreOrder;
        this.cycles = cycles;
    }

    /** The graph of every table of the catalog. */
    public static FkGraph of(PgCatalog catalog) {
        return of(catalog, catalog.tables().stream().map(PgCatalog.Table::ref).toList());
    }

    /** The graph restricted to {@code tables} (e.g. a selection), with partition expansion from the catalog. */
    public static FkGraph of(PgCatalog catalog, Collection<TableRef> tables) {
        Map<TableRef, List<TableRef>> children = new HashMap<>();
        for (PgCatalog.Table t : catalog.tables()) {
            t.partitionOf()
                    .ifPresent(p ->
                            children.computeIfAbsent(p, k -> new ArrayList<>()).add(t.ref()));
        }
        Set<TableRef> set = new TreeSet<>(tables);
        Set<Edge> expanded = new LinkedHashSet<>();
        for (PgCatalog.ForeignKey fk : catalog.foreignKeys()) {
            for (TableRef f : withDescendants(fk.from(), children)) {
                for (TableRef t : withDescendants(fk.to(), children)) {
                    if (set.contains(f) && set.contains(t)) {
                        expanded.add(new Edge(f, t, fk.name()));
                    }
                }
            }
        }
        return build(set, expanded);
    }

    /** A graph from explicit nodes and edges; edges whose ends are not nodes are ignored. */
    public static FkGraph build(Collection<TableRef> tables, Collection<Edge> edges) {
        // Long on purpose: one graph algorithm (strongly connected components, then a deterministic topological order
        // of them) whose steps share the same index structures; split, they would travel as a handful of parameters.
        List<TableRef> nodes = List.copyOf(new TreeSet<>(tables));
        Set<TableRef> nodeSet = Set.copyOf(nodes);
        List<Edge> es = edges.stream()
                .filter(e -> nodeSet.contains(e.from()) && nodeSet.contains(e.to()))
                .distinct()
                .sorted(Comparator.comparing(Edge::from).thenComparing(Edge::to).thenComparing(Edge::constraint))
                .toList();

        Map<TableRef, Integer> index = new HashMap<>();
        for (int i = 0; i < nodes.size(); i++) {
            index.put(nodes.get(i), i);
        }
        // deps.get(i) = tables i references (must load before i)
        List<List<Integer>> deps = new ArrayList<>();
        for (int i = 0; i < nodes.size(); i++) {
            deps.add(new ArrayList<>());
        }
        for (Edge e : es) {
            deps.get(index.get(e.from())).add(index.get(e.to()));
        }

        int[] component = tarjan(nodes.size(), deps);
        int componentCount = 0;
        for (int c : component) {
            componentCount = Math.max(componentCount, c + 1);
        }
        List<List<Integer>> members = new ArrayList<>();
        for (int c = 0; c < componentCount; c++) {
            members.add(new ArrayList<>());
        }
        for (int i = 0; i < nodes.size(); i++) {
            members.get(component[i]).add(i); // ascending index = ascending schema.name
        }

        // Kahn over the condensation; ties go to the component whose smallest table sorts first.
        int[] pending = new int[componentCount];
        List<Set<Integer>> dependents = new ArrayList<>();
        for (int c = 0; c < componentCount; c++) {
            dependents.add(new TreeSet<>());
        }
        Set<Long> seen = new java.util.HashSet<>();
        for (Edge e : es) {
            int cf = component[index.get(e.from())];
            int ct = component[index.get(e.to())];
            if (cf != ct && seen.add(((long) ct << 32) | cf)) {
                dependents.get(ct).add(cf);
                pending[cf]++;
            }
        }
        PriorityQueue<Integer> ready = new PriorityQueue<>(
                Comparator.comparing(c -> nodes.get(members.get(c).get(0))));
        for (int c = 0; c < componentCount; c++) {
            if (pending[c] == 0) {
                ready.add(c);
            }
        }
        List<TableRef> order = new ArrayList<>(nodes.size());
        Map<Integer, List<Integer>> componentOrder = new TreeMap<>();
        while (!ready.isEmpty()) {
            int c = ready.poll();
            List<Integer> inner = orderInside(members.get(c), deps, component, c);
            componentOrder.put(c, inner);
            inner.forEach(i -> order.add(nodes.get(i)));
            for (int d : dependents.get(c)) {
                if (--pending[d] == 0) {
                    ready.add(d);
                }
            }
        }

        Map<TableRef, Integer> position = new HashMap<>();
        for (int i = 0; i < order.size(); i++) {
            position.put(order.get(i), i);
        }
        Map<Integer, List<Edge>> insideByComponent = new TreeMap<>();
        for (Edge e : es) {
            int cf = component[index.get(e.from())];
            if (cf == component[index.get(e.to())]) {
                insideByComponent.computeIfAbsent(cf, k -> new ArrayList<>()).add(e);
            }
        }
        List<Cycle> cycles = new ArrayList<>();
        // a component without inner edges is a single table without a self-reference: no cycle
        for (Map.Entry<Integer, List<Edge>> entry : insideByComponent.entrySet()) {
            int c = entry.getKey();
            List<Edge> inside = entry.getValue();
            List<TableRef> tablesInCycle =
                    componentOrder.get(c).stream().map(nodes::get).toList();
            List<String> all =
                    inside.stream().map(Edge::constraint).distinct().sorted().toList();
            List<String> breaking = inside.stream()
                    .filter(e -> position.get(e.to()) >= position.get(e.from()))
                    .map(Edge::constraint)
                    .distinct()
                    .sorted()
                    .toList();
            cycles.add(new Cycle(tablesInCycle, all, breaking));
        }
        cycles.sort(Comparator.comparing(
                cy -> cy.tables().stream().sorted().findFirst().orElseThrow()));
        return new FkGraph(nodes, es, List.copyOf(order), List.copyOf(cycles));
    }

    /** Every table, referenced tables before the tables referencing them except where a cycle forbids it. */
    public List<TableRef> restoreOrder() {
        return restoreOrder;
    }

    public List<Cycle> cycles() {
        return cycles;
    }

    public List<Edge> edges() {
        return edges;
    }

    public List<TableRef> tables() {
        return nodes;
    }

    /** Whether the edge is part of a cycle, i.e. cannot be honoured by any load order. */
    public boolean inCycle(Edge edge) {
        return cycles.stream()
                .anyMatch(c -> c.tables().contains(edge.from()) && c.tables().contains(edge.to()));
    }

    /**
     * Order for dumping in parallel: largest first, so the longest copy starts first and the small ones
     * fill in around it; ties by name. Independent of the restore order on purpose, since a dump needs no
     * FK order within one snapshot.
     */
    public static List<PgCatalog.Table> dumpOrder(Collection<PgCatalog.Table> tables) {
        return tables.stream()
                .sorted(Comparator.comparingLong(PgCatalog.Table::sizeBytes)
                        .reversed()
                        .thenComparing(PgCatalog.Table::ref))
                .toList();
    }

    /**
     * Inside a cycle no order satisfies every key; greedily take the table with the fewest unloaded
     * dependencies (ties by name) so that as few keys as possible point forward.
     */
    private static List<Integer> orderInside(List<Integer> members, List<List<Integer>> deps, int[] component, int c) {
        if (members.size() == 1) {
            return List.copyOf(members);
        }
        Set<Integer> remaining = new TreeSet<>(members);
        List<Integer> out = new ArrayList<>();
        while (!remaining.isEmpty()) {
            int best = -1;
            int bestCount = Integer.MAX_VALUE;
            for (int i : remaining) {
                int count = 0;
                for (int d : deps.get(i)) {
                    if (d != i && component[d] == c && remaining.contains(d)) {
                        count++;
                    }
                }
                if (count < bestCount) {
                    best = i;
                    bestCount = count;
                }
            }
            remaining.remove(best);
            out.add(best);
        }
        return out;
    }

    /** Iterative Tarjan, so a long FK chain cannot overflow the stack. */
    private static int[] tarjan(int n, List<List<Integer>> adj) {
        int[] idx = new int[n];
        int[] low = new int[n];
        int[] comp = new int[n];
        boolean[] onStack = new boolean[n];
        java.util.Arrays.fill(idx, -1);
        Deque<Integer> stack = new ArrayDeque<>();
        int counter = 0;
        int comps = 0;
        int[] edgePos = new int[n];
        Deque<Integer> call = new ArrayDeque<>();
        for (int s = 0; s < n; s++) {
            if (idx[s] != -1) {
                continue;
            }
            call.push(s);
            idx[s] = low[s] = counter++;
            stack.push(s);
            onStack[s] = true;
            while (!call.isEmpty()) {
                int v = call.peek();
                if (edgePos[v] < adj.get(v).size()) {
                    int w = adj.get(v).get(edgePos[v]++);
                    if (idx[w] == -1) {
                        idx[w] = low[w] = counter++;
                        stack.push(w);
                        onStack[w] = true;
                        call.push(w);
                    } else if (onStack[w]) {
                        low[v] = Math.min(low[v], idx[w]);
                    }
                } else {
                    call.pop();
                    if (!call.isEmpty()) {
                        int parent = call.peek();
                        low[parent] = Math.min(low[parent], low[v]);
                    }
                    if (low[v] == idx[v]) {
                        int w;
                        do {
                            w = stack.pop();
                            onStack[w] = false;
                            comp[w] = comps;
                        } while (w != v);
                        comps++;
                    }
                }
            }
        }
        return comp;
    }

    private static List<TableRef> withDescendants(TableRef t, Map<TableRef, List<TableRef>> children) {
        List<TableRef> out = new ArrayList<>();
        Deque<TableRef> todo = new ArrayDeque<>(List.of(t));
        while (!todo.isEmpty()) {
            TableRef x = todo.poll();
            out.add(x);
            todo.addAll(children.getOrDefault(x, List.of()));
        }
        return out;
    }
}
