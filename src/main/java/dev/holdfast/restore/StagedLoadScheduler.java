package dev.holdfast.restore;

import dev.holdfast.archive.Manifest;
import dev.holdfast.pg.TableRef;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.ToLongFunction;
import org.jboss.logging.Logger;

/**
 * The order of a staged restore's loads and post-data tasks on several connections. A task starts only when
 * no running task holds any of its tables, so none waits on another's locks and they cannot deadlock; a
 * table's key and index group once that table is loaded; a foreign key once both its tables are loaded
 * and every key and index on them is built. A table post-data names that this restore does not load (a
 * partitioned parent, a name the script writes in a way not parsed here) counts as loaded only once every
 * table is, and as built once every group is. Which of the tasks that may start goes first: see
 * {@link #pick()}; loads are ordered largest first, as the largest ends last.
 */
final class StagedLoadScheduler {

    /** Logged as the engine: {@code docs/restore.md} names {@code DatabaseRestore}'s log category. */
    private static final Logger LOG = Logger.getLogger(DatabaseRestore.class);

    /** A table's load, the key and index statements of one table, or one foreign key, with the tables it locks. */
    record Task(Manifest.TableEntry entry, List<String> sql, Set<TableRef> tables, TableRef group, long size) {
        String describe() {
            String names = String.join(
                    ",", tables.stream().map(TableRef::dotted).sorted().toList());
            return (entry != null ? "load " : group != null ? "keys " : "foreign-key ") + names;
        }
    }

    private final Cancellation cancellation;
    private final List<Task> pending = new ArrayList<>();
    private final Set<TableRef> loading = new HashSet<>();
    private final Set<TableRef> loadedTables = new HashSet<>();
    private final Set<TableRef> busy = new HashSet<>();
    private final Map<TableRef, Integer> groupsLeft = new HashMap<>();
    /** The other table of each foreign key, both ways: a load that completes a pair goes first. */
    private final Map<TableRef, Set<TableRef>> partners = new HashMap<>();

    private final Set<TableRef> loadStarted = new HashSet<>();
    private int loadsLeft;
    private int groupsLeftTotal;
    private int running;
    private int postTasks;
    private int overlapped;
    private long lastLoadEnd;
    private final long began = System.nanoTime();
    /** Start and end of each task, for the debug log: where the schedule left a connection idle. */
    private final List<String> timeline = new ArrayList<>();

    /**
     * @param loads the tables to load, sized by {@code rawSize}
     * @param groups key and index statements by table, as post-data writes the table
     */
    StagedLoadScheduler(
            Cancellation cancellation,
            List<Manifest.TableEntry> loads,
            ToLongFunction<Manifest.TableEntry> rawSize,
            Map<String, List<String>> groups,
            List<PostDataScript.ForeignKey> foreignKeys) {
        this.cancellation = cancellation;
        Map<TableRef, Long> sizes = new HashMap<>();
        List<Task> fks = new ArrayList<>();
        List<Task> keys = new ArrayList<>();
        List<Task> loadTasks = new ArrayList<>();
        for (Manifest.TableEntry te : loads) {
            TableRef r = RestoreContext.ref(te);
            loading.add(r);
            sizes.put(r, rawSize.applyAsLong(te));
            loadTasks.add(new Task(te, List.of(), Set.of(r), null, rawSize.applyAsLong(te)));
        }
        groups.forEach((table, sql) -> {
            TableRef r = parseQualified(table);
            keys.add(new Task(null, sql, Set.of(r), r, sizes.getOrDefault(r, 0L)));
            groupsLeft.merge(r, 1, Integer::sum);
        });
        for (PostDataScript.ForeignKey fk : foreignKeys) {
            Set<TableRef> tables = new LinkedHashSet<>();
            fk.tables().forEach(t -> tables.add(parseQualified(t)));
            fks.add(new Task(
                    null,
                    List.of(fk.sql()),
                    Set.copyOf(tables),
                    null,
                    tables.stream()
                            .mapToLong(t -> sizes.getOrDefault(t, 0L))
                            .max()
                            .orElse(0)));
            for (TableRef a : tables) {
                for (TableRef b : tables) {
                    if (!a.equals(b)) {
                        partners.computeIfAbsent(a, k -> new HashSet<>()).add(b);
                    }
                }
            }
        }
        Comparator<Task> larger = Comparator.comparingLong(Task::size).reversed();
        fks.sort(larger);
        keys.sort(larger);
        loadTasks.sort(larger);
        pending.addAll(keys);
        pending.addAll(loadTasks);
        pending.addAll(fks);
        loadsLeft = loadTasks.size();
        groupsLeftTotal = keys.size();
        postTasks = fks.size() + keys.size();
    }

    boolean isEmpty() {
        return pending.isEmpty();
    }

    /** The next task that may start, waiting for one; null when none is left. */
    synchronized Task take() {
        while (true) {
            if (cancellation.stopping()) {
                throw new Cancellation.Stopped();
            }
            if (pending.isEmpty()) {
                return null;
            }
            Task pick = pick();
            for (Iterator<Task> it = pending.iterator(); pick != null && it.hasNext(); ) {
                Task t = it.next();
                if (t == pick) {
                    it.remove();
                    if (t.entry() != null) {
                        loadStarted.add(RestoreContext.ref(t.entry()));
                    }
                    busy.addAll(t.tables());
                    running++;
                    if (t.entry() == null && loadsLeft > 0) {
                        overlapped++;
                    }
                    if (LOG.isDebugEnabled()) {
                        timeline.add("+" + t.describe() + " " + sinceStart() + " ms ("
                                + Thread.currentThread().getId() + ")");
                    }
                    return t;
                }
            }
            if (running == 0) {
                // Cannot happen by construction: everything waits only on tasks that are left.
                throw new IllegalStateException("No staged restore task can start: "
                        + pending.stream().map(Task::describe).toList());
            }
            try {
                wait(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new Cancellation.Stopped();
            }
        }
    }

    /**
     * Of the ready tasks: the first key group (short, and what foreign keys wait for); else the largest load
     * that has a foreign key with a table already loading or loaded, so that the key can be added while
     * other tables load; else the first foreign key (keys sharing a table run one after the other, so a
     * chain of them must start early not to be all that is left at the end); else the largest load. Null
     * if none is ready.
     */
    private Task pick() {
        Task firstLoad = null;
        Task firstForeignKey = null;
        for (Task t : pending) {
            if (!ready(t)) {
                continue;
            }
            if (t.group() != null) {
                return t;
            }
            if (t.entry() != null) {
                if (!Collections.disjoint(
                        partners.getOrDefault(RestoreContext.ref(t.entry()), Set.of()), loadStarted)) {
                    return t;
                }
                if (firstLoad == null) {
                    firstLoad = t;
                }
            } else if (firstForeignKey == null) {
                firstForeignKey = t;
            }
        }
        return firstForeignKey != null ? firstForeignKey : firstLoad;
    }

    /** Records the end of {@code t}; returns whether it was the last load. */
    synchronized boolean finished(Task t, boolean done) {
        running--;
        busy.removeAll(t.tables());
        if (!done) {
            // Set before the others wake, so that they stop rather than find nothing left to start.
            cancellation.stopAll();
        }
        if (LOG.isDebugEnabled()) {
            timeline.add("-" + t.describe() + " " + sinceStart() + " ms");
        }
        boolean lastLoad = false;
        if (done && t.entry() != null) {
            loadedTables.add(RestoreContext.ref(t.entry()));
            if (--loadsLeft == 0) {
                lastLoadEnd = System.nanoTime();
                lastLoad = true;
            }
        } else if (done && t.group() != null) {
            groupsLeft.merge(t.group(), -1, Integer::sum);
            groupsLeftTotal--;
        }
        notifyAll();
        return lastLoad;
    }

    private boolean ready(Task t) {
        if (!Collections.disjoint(t.tables(), busy)) {
            return false;
        }
        if (t.entry() != null) {
            return true;
        }
        for (TableRef table : t.tables()) {
            boolean ours = loading.contains(table);
            if (ours ? !loadedTables.contains(table) : loadsLeft > 0) {
                return false;
            }
            if (t.group() == null && (ours ? groupsLeft.getOrDefault(table, 0) > 0 : groupsLeftTotal > 0)) {
                return false;
            }
        }
        return true;
    }

    private long sinceStart() {
        return (System.nanoTime() - began) / 1_000_000;
    }

    synchronized String timeline() {
        return String.join(", ", timeline);
    }

    synchronized long lastLoadEnd() {
        return lastLoadEnd;
    }

    synchronized int postTasks() {
        return postTasks;
    }

    synchronized int overlapped() {
        return overlapped;
    }

    /**
     * A table name as pg_dump writes it ({@code schema.name}, each part double-quoted where needed); anything else
     * becomes a name no restored table has, so that it waits for every table.
     */
    static TableRef parseQualified(String written) {
        List<String> parts = new ArrayList<>();
        StringBuilder part = new StringBuilder();
        boolean quoted = false;
        boolean wasQuoted = false;
        String s = written.strip();
        for (int i = 0; i < s.length(); i++) {
            char ch = s.charAt(i);
            if (quoted) {
                if (ch == '"' && i + 1 < s.length() && s.charAt(i + 1) == '"') {
                    part.append('"');
                    i++;
                } else if (ch == '"') {
                    quoted = false;
                } else {
                    part.append(ch);
                }
            } else if (ch == '"' && part.isEmpty() && !wasQuoted) {
                quoted = true;
                wasQuoted = true;
            } else if (ch == '.') {
                parts.add(part.toString());
                part.setLength(0);
                wasQuoted = false;
            } else if (wasQuoted || ch == '"' || Character.isWhitespace(ch) || Character.isUpperCase(ch)) {
                return new TableRef("", written); // not what pg_dump writes
            } else {
                part.append(ch);
            }
        }
        parts.add(part.toString());
        if (quoted
                || parts.size() != 2
                || parts.get(0).isEmpty()
                || parts.get(1).isEmpty()) {
            return new TableRef("", written);
        }
        return new TableRef(parts.get(0), parts.get(1));
    }
}
