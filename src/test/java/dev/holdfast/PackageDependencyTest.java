package dev.holdfast;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Dependencies between the top-level packages of {@code dev.holdfast} run one way: no cycles, and no package depends
 * on a package of a higher layer. Read from the sources (imports and fully-qualified names outside comments), so it
 * needs no dependency and runs in milliseconds.
 *
 * <p>The layers, bottom first (a package may use its own layer and those below it):
 * <ol>
 * <li>{@code domain} (domain exceptions), {@code time}, {@code pg} (the framework-free PostgreSQL engine), {@code cli}
 *     (the command line: a REST client shaded alone into its own jar, so it uses no other package at all);
 * <li>{@code config};
 * <li>{@code storage}, {@code crypto}, {@code archive}, {@code media}: archives, their age encryption and where they
 *     are kept;
 * <li>{@code api} (HTTP plumbing: problem documents, paging), {@code security}, {@code source}, {@code cluster}
 *     (once-per-cluster task claims);
 * <li>{@code audit}, {@code job}: the audit log and the job queue every feature uses;
 * <li>{@code backup};
 * <li>{@code restore}, which uses backups (backup never uses restore: it asks {@code BackupUsage}, which restore
 *     implements);
 * <li>{@code notify}, {@code retention}: react to backups and restores;
 * <li>{@code schedule}, which owns notification and retention settings per schedule (backup and notify reach
 *     it only through {@code ScheduleNames} and {@code ScheduleSettingsLookup}, which it implements);
 * <li>{@code drill}: restore drills, which use the restore engine, backups, jobs and schedules;
 * <li>{@code stats}: reads everything, used by nothing but the dashboard;
 * <li>{@code web}: the dashboard, pages over the same services and resources the API uses.
 * </ol>
 */
class PackageDependencyTest {
    static final Path SOURCES = Path.of("src/main/java/dev/holdfast");

    static final List<List<String>> LAYERS = List.of(
            List.of("domain", "time", "pg", "cli"),
            List.of("config"),
            List.of("storage", "crypto", "archive", "media"),
            List.of("api", "security", "source", "cluster"),
            List.of("audit", "job"),
            List.of("backup"),
            List.of("restore"),
            List.of("notify", "retention"),
            List.of("schedule"),
            List.of("drill"),
            List.of("stats"),
            List.of("web"));

    /** Engines stay plain Java: no CDI, Quarkus, JAX-RS or other framework types. */
    static final Set<String> ENGINES = Set.of("pg", "crypto", "archive", "media", "domain", "cluster", "cli");

    static final Pattern FRAMEWORK =
            Pattern.compile("\\b(jakarta|io\\.quarkus|io\\.smallrye|org\\.jboss\\.resteasy)\\.");

    static final Pattern REFERENCE = Pattern.compile("\\bdev\\.holdfast\\.([a-z][a-z0-9_]*)\\.");

    /** package -> package it uses -> the files that use it. */
    static final Map<String, Map<String, Set<String>>> DEPS = new TreeMap<>();
    /** package -> files with framework references (engines only). */
    static final Map<String, Set<String>> FRAMEWORK_USE = new TreeMap<>();

    @BeforeAll
    static void read() throws IOException {
        try (Stream<Path> files = Files.walk(SOURCES)) {
            files.filter(p -> p.toString().endsWith(".java")).forEach(PackageDependencyTest::readFile);
        }
    }

    private static void readFile(Path file) {
        Path rel = SOURCES.relativize(file);
        if (rel.getNameCount() < 2) {
            return; // a class in dev.holdfast itself belongs to no layer
        }
        String pkg = rel.getName(0).toString();
        String code;
        try {
            code = withoutCommentsAndStrings(Files.readString(file));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        DEPS.computeIfAbsent(pkg, k -> new TreeMap<>());
        Matcher m = REFERENCE.matcher(code);
        while (m.find()) {
            if (!m.group(1).equals(pkg)) {
                DEPS.get(pkg).computeIfAbsent(m.group(1), k -> new TreeSet<>()).add(rel.toString());
            }
        }
        if (ENGINES.contains(pkg) && FRAMEWORK.matcher(code).find()) {
            FRAMEWORK_USE.computeIfAbsent(pkg, k -> new TreeSet<>()).add(rel.toString());
        }
    }

    @Test
    void theParserSeesTheKnownDependencies() {
        // Guards against a test that passes because it read nothing.
        assertThat(DEPS).containsKeys("backup", "restore", "pg", "api");
        assertThat(DEPS.get("restore")).containsKey("backup");
        assertThat(DEPS.get("schedule")).containsKeys("backup", "notify", "retention");
    }

    @Test
    void noCyclesBetweenPackages() {
        List<String> cycles = new ArrayList<>();
        for (Set<String> component : stronglyConnected()) {
            if (component.size() > 1) {
                StringBuilder sb = new StringBuilder("cycle " + component + ":");
                for (String from : component) {
                    for (String to : component) {
                        Set<String> files = DEPS.getOrDefault(from, Map.of()).get(to);
                        if (files != null) {
                            sb.append("\n  ")
                                    .append(from)
                                    .append(" -> ")
                                    .append(to)
                                    .append(" in ")
                                    .append(files);
                        }
                    }
                }
                cycles.add(sb.toString());
            }
        }
        assertThat(cycles).as("package cycles").isEmpty();
    }

    @Test
    void everyPackageHasALayerAndUsesOnlyItsOwnAndLowerOnes() {
        Map<String, Integer> layer = new HashMap<>();
        for (int i = 0; i < LAYERS.size(); i++) {
            for (String p : LAYERS.get(i)) {
                layer.put(p, i);
            }
        }
        assertThat(new TreeSet<>(DEPS.keySet()))
                .as("packages without a layer in LAYERS")
                .allMatch(layer::containsKey);
        List<String> upward = new ArrayList<>();
        DEPS.forEach((from, tos) -> tos.forEach((to, files) -> {
            if (layer.containsKey(from) && layer.getOrDefault(to, -1) > layer.get(from)) {
                upward.add(from + " -> " + to + " in " + files);
            }
        }));
        assertThat(upward).as("dependencies on a higher layer").isEmpty();
    }

    @Test
    void theCommandLineUsesNoOtherPackage() {
        // target/holdfast-cli.jar holds dev/holdfast/cli only: a reference elsewhere would fail at run time there.
        assertThat(DEPS).containsKey("cli");
        assertThat(DEPS.get("cli")).as("packages the CLI uses").isEmpty();
    }

    @Test
    void enginesUseNoFrameworkTypes() {
        assertThat(FRAMEWORK_USE)
                .as("CDI/Quarkus/JAX-RS types in engine packages")
                .isEmpty();
    }

    /** Tarjan's algorithm over {@link #DEPS}. */
    private static List<Set<String>> stronglyConnected() {
        Map<String, Integer> index = new HashMap<>();
        Map<String, Integer> low = new HashMap<>();
        Deque<String> stack = new ArrayDeque<>();
        Set<String> onStack = new TreeSet<>();
        List<Set<String>> out = new ArrayList<>();
        int[] next = {0};
        for (String v : DEPS.keySet()) {
            if (!index.containsKey(v)) {
                connect(v, index, low, stack, onStack, out, next);
            }
        }
        return out;
    }

    private static void connect(
            String v,
            Map<String, Integer> index,
            Map<String, Integer> low,
            Deque<String> stack,
            Set<String> onStack,
            List<Set<String>> out,
            int[] next) {
        index.put(v, next[0]);
        low.put(v, next[0]);
        next[0]++;
        stack.push(v);
        onStack.add(v);
        for (String w : DEPS.getOrDefault(v, Map.of()).keySet()) {
            if (!index.containsKey(w)) {
                connect(w, index, low, stack, onStack, out, next);
                low.put(v, Math.min(low.get(v), low.get(w)));
            } else if (onStack.contains(w)) {
                low.put(v, Math.min(low.get(v), index.get(w)));
            }
        }
        if (low.get(v).equals(index.get(v))) {
            Set<String> component = new TreeSet<>();
            String w;
            do {
                w = stack.pop();
                onStack.remove(w);
                component.add(w);
            } while (!w.equals(v));
            out.add(component);
        }
    }

    /**
     * The source with comments, string and char literals blanked out: a Javadoc link or a message that names a
     * package is no dependency (text blocks are blanked with the strings).
     */
    static String withoutCommentsAndStrings(String src) {
        StringBuilder out = new StringBuilder(src.length());
        int i = 0;
        int n = src.length();
        while (i < n) {
            char c = src.charAt(i);
            if (c == '/' && i + 1 < n && src.charAt(i + 1) == '/') {
                while (i < n && src.charAt(i) != '\n') {
                    i++;
                }
            } else if (c == '/' && i + 1 < n && src.charAt(i + 1) == '*') {
                int end = src.indexOf("*/", i + 2);
                i = end < 0 ? n : end + 2;
                out.append(' ');
            } else if (src.startsWith("\"\"\"", i)) {
                int end = src.indexOf("\"\"\"", i + 3);
                while (end > 0 && src.charAt(end - 1) == '\\') {
                    end = src.indexOf("\"\"\"", end + 1);
                }
                i = end < 0 ? n : end + 3;
                out.append("\"\"");
            } else if (c == '"' || c == '\'') {
                i++;
                while (i < n && src.charAt(i) != c && src.charAt(i) != '\n') {
                    i += src.charAt(i) == '\\' ? 2 : 1;
                }
                i++;
                out.append(c).append(c);
            } else {
                out.append(c);
                i++;
            }
        }
        return out.toString();
    }
}
