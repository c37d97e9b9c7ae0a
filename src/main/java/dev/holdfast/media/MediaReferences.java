package dev.holdfast.media;

import dev.holdfast.archive.ArchiveReader;
import dev.holdfast.archive.EntryInfo;
import dev.holdfast.archive.Manifest;
import dev.holdfast.archive.Manifest.MediaFile;
import dev.holdfast.archive.ReferencedArchives;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Checks the file contents an incremental archive refers to in other backups' archives: that each holder is
 * readable and is the backup named, that it has each entry with the size and SHA-256 the manifest records, and
 * (when asked) that each entry's bytes still hash to it. What a verification adds to the archive's own checks.
 */
public final class MediaReferences {
    private MediaReferences() {}

    /** Why a referenced content fails. */
    public enum Reason {
        /** The holder's archive cannot be opened: not in the catalog, missing from storage, unreadable. */
        REFERENCED_ARCHIVE_UNAVAILABLE,
        /** The holder's archive has no such media entry, or one of another size or SHA-256. */
        REFERENCED_CONTENT_MISSING,
        /** The entry is there but its bytes do not hash to what was recorded. */
        REFERENCED_CONTENT_CORRUPT
    }

    /**
     * One failing referenced content.
     *
     * @param holder the backup id whose archive should hold it
     * @param entry the entry name in that archive
     * @param path the first media path (as {@code source:path}) that refers to it
     */
    public record Failure(String holder, String entry, String path, Reason reason, String detail) {}

    /** How many of a manifest's files, and how many bytes, one other backup's archive holds. */
    public record Held(long files, long bytes) {}

    /** For each backup that the files of {@code sections} name in {@code stored_in}: what it holds, by backup id. */
    public static Map<String, Held> heldBy(List<Manifest.MediaSection> sections) {
        Map<String, long[]> used = new TreeMap<>();
        for (Manifest.MediaSection s : sections) {
            for (MediaFile f : s.files()) {
                if (f.referenced()) {
                    long[] c = used.computeIfAbsent(f.storedIn(), k -> new long[2]);
                    c[0]++;
                    c[1] += f.size();
                }
            }
        }
        Map<String, Held> out = new LinkedHashMap<>();
        used.forEach((id, c) -> out.put(id, new Held(c[0], c[1])));
        return out;
    }

    /** What was checked: contents (distinct holder entries), their bytes, and the failures. */
    public record Report(long contents, long bytes, List<Failure> failures) {
        public boolean ok() {
            return failures.isEmpty();
        }
    }

    /**
     * Checks every content {@code manifest}'s media files refer to.
     *
     * @param readContents also read each entry to its end, which checks its SHA-256 (a verification); without it only
     *     the holders' manifests are consulted
     */
    public static Report check(
            Manifest manifest, ReferencedArchives archives, boolean readContents, Runnable checkpoint) {
        // Holder -> entry -> the first file that refers to it; each content is checked once however many paths share
        // it.
        Map<String, Map<String, MediaFile>> wanted = new TreeMap<>();
        Map<MediaFile, String> sourceOf = new java.util.IdentityHashMap<>();
        for (Manifest.MediaSection s : manifest.media()) {
            for (MediaFile f : s.files()) {
                if (f.referenced()) {
                    wanted.computeIfAbsent(f.storedIn(), k -> new LinkedHashMap<>())
                            .putIfAbsent(f.packed() ? MediaPackReader.key(f) : f.entry(), f);
                    sourceOf.put(f, s.source());
                }
            }
        }
        List<Failure> failures = new ArrayList<>();
        long contents = 0;
        long bytes = 0;
        byte[] buf = new byte[1 << 16];
        for (Map.Entry<String, Map<String, MediaFile>> h : wanted.entrySet()) {
            ArchiveReader holder;
            try {
                holder = archives.open(h.getKey());
            } catch (IOException | RuntimeException e) {
                MediaFile first = h.getValue().values().iterator().next();
                failures.add(new Failure(
                        h.getKey(),
                        null,
                        sourceOf.get(first) + ":" + first.path(),
                        Reason.REFERENCED_ARCHIVE_UNAVAILABLE,
                        h.getValue().size() + " referenced content(s) unavailable: " + e.getMessage()));
                continue;
            }
            Map<String, MediaFile> members = null;
            List<MediaFile> files = new ArrayList<>(h.getValue().values());
            // In stored order, so that the members of a pack are read in one pass over it.
            files.sort(java.util.Comparator.comparingLong((MediaFile f) -> {
                        EntryInfo e = holder.manifest().entry(f.entry());
                        return e == null ? Long.MAX_VALUE : e.offset();
                    })
                    .thenComparingLong(f -> f.packed() ? f.memberOffset() : 0));
            try (MediaPackReader packs = new MediaPackReader()) {
                for (MediaFile f : files) {
                    checkpoint.run();
                    String path = sourceOf.get(f) + ":" + f.path();
                    EntryInfo e = holder.manifest().entry(f.entry());
                    String missing;
                    if (f.packed()) {
                        members = members != null ? members : MediaPackReader.members(holder.manifest());
                        missing = MediaPackReader.inconsistency(f, e, members);
                    } else if (e == null) {
                        missing = "the holder's archive has no such entry";
                    } else if (!EntryInfo.KIND_MEDIA_FILE.equals(e.kind())
                            || e.rawSize() != f.size()
                            || !e.sha256().equals(f.sha256())) {
                        missing = "the holder's entry has another size or SHA-256 than recorded";
                    } else {
                        missing = null;
                    }
                    if (missing != null) {
                        failures.add(
                                new Failure(h.getKey(), f.entry(), path, Reason.REFERENCED_CONTENT_MISSING, missing));
                        continue;
                    }
                    contents++;
                    bytes += f.size();
                    if (readContents) {
                        try (InputStream in = f.packed() ? packs.open(holder, f) : holder.openEntry(f.entry())) {
                            while (in.read(buf) >= 0) {
                                checkpoint.run();
                            }
                        } catch (IOException x) {
                            failures.add(new Failure(
                                    h.getKey(), f.entry(), path, Reason.REFERENCED_CONTENT_CORRUPT, x.getMessage()));
                        }
                    }
                }
            } catch (IOException closing) {
                // only closing the last pack read can throw here; everything it held was checked
            }
        }
        return new Report(contents, bytes, List.copyOf(failures));
    }
}
