package dev.holdfast.archive;

import java.util.AbstractList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.RandomAccess;

/**
 * The manifest's immutable entry list with a by-name index built on first look-up: a media restore asks for
 * every one of 20,000 entries by name, which a linear search made quadratic (most of the restore's CPU in JFR).
 */
final class IndexedEntries extends AbstractList<EntryInfo> implements RandomAccess {

    private final List<EntryInfo> entries;
    private volatile Map<String, EntryInfo> byName;

    IndexedEntries(List<EntryInfo> entries) {
        this.entries = List.copyOf(entries);
    }

    @Override
    public EntryInfo get(int index) {
        return entries.get(index);
    }

    @Override
    public int size() {
        return entries.size();
    }

    /** The first entry called {@code name}, as the linear search it replaces answered; null if none. */
    EntryInfo byName(String name) {
        Map<String, EntryInfo> m = byName;
        if (m == null) {
            m = new HashMap<>(entries.size() * 2);
            for (EntryInfo e : entries) {
                m.putIfAbsent(e.name(), e);
            }
            byName = m;
        }
        return m.get(name);
    }
}
