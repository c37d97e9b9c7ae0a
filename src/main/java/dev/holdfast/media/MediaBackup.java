package dev.holdfast.media;

import com.github.luben.zstd.Zstd;
import dev.holdfast.archive.ArchiveWriter;
import dev.holdfast.archive.Codec;
import dev.holdfast.archive.Digests;
import dev.holdfast.archive.EntryBuilder;
import dev.holdfast.archive.EntryInfo;
import dev.holdfast.archive.EntryNames;
import dev.holdfast.archive.Manifest.MediaDirectory;
import dev.holdfast.archive.Manifest.MediaFile;
import dev.holdfast.archive.Manifest.MediaSection;
import dev.holdfast.archive.Manifest.MediaSymlink;
import dev.holdfast.media.MediaWalk.Found;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.Channels;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiConsumer;
import java.util.function.Supplier;

/**
 * Backs up one media root into an {@link ArchiveWriter}: walks it in byte order without following links,
 * stores every small regular file as a member of a pack ({@link MediaPackWriter}) and streams every larger one into
 * its own entry (several files at once), and returns the manifest section.
 */
public final class MediaBackup {
    /** Extensions of formats that are already compressed: recompressing them costs CPU and saves nothing. */
    static final Set<String> COMPRESSED_EXTENSIONS = Set.of(
            "jpg", "jpeg", "png", "gif", "webp", "heic", "heif", "avif", "jxl", "mp4", "m4v", "m4a", "mov", "mkv",
            "webm", "avi", "mp3", "aac", "ogg", "oga", "opus", "flac", "zip", "gz", "tgz", "bz2", "tbz2", "xz", "txz",
            "zst", "lz4", "lzma", "7z", "rar", "pdf", "docx", "xlsx", "pptx", "odt", "ods", "odp", "epub", "jar", "apk",
            "woff", "woff2");
    /**
     * Bytes sampled from the start of a file of unknown type for the compressibility test; files smaller than this
     * are not tested but compressed.
     */
    static final int SAMPLE = 64 * 1024;
    /** Stored rather than compressed when zstd level 1 saves less than this fraction of the sample. */
    private static final double MIN_SAVING = 0.05;

    private static final int BUFFER = 256 * 1024;

    private final String source;
    private final Path root;
    private List<String> includes = List.of();
    private List<String> excludes = List.of();
    private Codec codec = Codec.ZSTD;
    private int parallelism = Math.max(1, Runtime.getRuntime().availableProcessors());
    private MediaProgress.Listener progress = p -> {};
    private Runnable checkpoint = () -> {};
    private Supplier<MediaIndex> previous = () -> null;
    private boolean rehash;
    private MediaReuse reuse; // made from previous once the walk is done
    // Test hook: runs after a file's content was read and before it is checked for changes.
    private BiConsumer<String, Integer> afterRead = (path, attempt) -> {};

    private MediaBackup(String source, Path root) {
        this.source = Objects.requireNonNull(source, "source");
        this.root = Objects.requireNonNull(root, "root").toAbsolutePath().normalize();
    }

    /** A backup of the tree under {@code root}, recorded as media source {@code source}. */
    public static MediaBackup of(String source, Path root) {
        return new MediaBackup(source, root);
    }

    /**
     * Glob patterns ({@link java.nio.file.FileSystem#getPathMatcher} {@code glob:} syntax) on the relative
     * path; when any are given, only files and links matching one are stored.
     */
    public MediaBackup include(List<String> patterns) {
        this.includes = List.copyOf(patterns);
        return this;
    }

    /** Glob patterns on the relative path of files, links and directories to leave out (a directory with all below it). */
    public MediaBackup exclude(List<String> patterns) {
        this.excludes = List.copyOf(patterns);
        return this;
    }

    /** The codec for compressible files (default zstd); already-compressed files are always stored as is. */
    public MediaBackup codec(Codec codec) {
        this.codec = Objects.requireNonNull(codec, "codec");
        return this;
    }

    /** Files read and compressed at once (default: available processors). */
    public MediaBackup parallelism(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("parallelism must be at least 1");
        }
        this.parallelism = threads;
        return this;
    }

    /** Receives progress after every file and every few MiB of a large one. */
    public MediaBackup progress(MediaProgress.Listener listener) {
        this.progress = Objects.requireNonNull(listener, "listener");
        return this;
    }

    /** Called between files and between buffers; throwing from it cancels the backup. */
    public MediaBackup checkpoint(Runnable checkpoint) {
        this.checkpoint = Objects.requireNonNull(checkpoint, "checkpoint");
        return this;
    }

    /**
     * Makes this an incremental backup: a file whose content {@code previous} (the root's index as an earlier backup
     * recorded it) already holds is referenced, not stored again ({@link MediaReuse} says how it is recognised);
     * {@code rehash} reads and hashes every file instead of trusting unchanged metadata.
     */
    public MediaBackup previous(MediaIndex previous, boolean rehash) {
        return previous(() -> previous, rehash);
    }

    /**
     * As {@link #previous(MediaIndex, boolean)}, with the index asked for only once the root is walked, so that a
     * caller can read it from its catalog while the walk runs; a null index makes the backup store everything.
     */
    public MediaBackup previous(Supplier<MediaIndex> previous, boolean rehash) {
        this.previous = Objects.requireNonNull(previous, "previous");
        this.rehash = rehash;
        return this;
    }

    MediaBackup afterRead(BiConsumer<String, Integer> hook) {
        this.afterRead = hook;
        return this;
    }

    /**
     * What a media backup produced.
     *
     * @param section the manifest section to put into {@link dev.holdfast.archive.Manifest#withMedia}
     * @param inconsistent files that changed both times they were read and were therefore not stored
     * @param warnings everything skipped and why (also in {@code section.warnings()})
     * @param files regular files stored
     * @param bytes bytes of file content stored
     * @param storedUncompressed files stored as is because they were already compressed
     * @param referencedFiles files whose content an earlier backup holds, referenced instead of stored (incremental)
     * @param referencedBytes their bytes (included in {@code bytes})
     * @param hashedFiles files read to learn whether an earlier backup holds their content (a small one it does not
     *     hold is stored from that read, a larger one read again)
     */
    public record Result(
            MediaSection section,
            List<String> inconsistent,
            List<String> warnings,
            long files,
            long bytes,
            long storedUncompressed,
            long referencedFiles,
            long referencedBytes,
            long hashedFiles) {
        /** Whether every file found was stored exactly as it was: no warnings at all. */
        public boolean complete() {
            return warnings.isEmpty();
        }
    }

    private record Stored(MediaFile file, String warning, boolean inconsistent, boolean raw) {}

    /**
     * Walks the root, streams its files into {@code writer} and returns the section for the manifest. The
     * writer is left open for the caller's other entries and {@code finish}. A failure (or a throwing
     * checkpoint) aborts the entries in progress and propagates; the caller then discards the archive.
     */
    public Result run(ArchiveWriter writer) throws IOException {
        long start = System.nanoTime();
        if (!Files.isDirectory(root, LinkOption.NOFOLLOW_LINKS)) {
            throw new NoSuchFileException(root.toString(), null, "media root is not a directory");
        }
        List<PathMatcher> inc = MediaPaths.globs(root.getFileSystem(), includes);
        List<PathMatcher> exc = MediaPaths.globs(root.getFileSystem(), excludes);
        MediaWalk.Walked walked = new MediaWalk(root, inc, exc, checkpoint).run(parallelism);
        List<Found> found = walked.found();
        List<MediaDirectory> dirs = walked.dirs();
        List<MediaSymlink> links = walked.links();
        List<String> walkWarnings = walked.warnings();
        MediaIndex base = previous.get();
        reuse = base == null ? null : new MediaReuse(base, rehash);

        long bytesTotal = found.stream().mapToLong(Found::size).sum();
        Tracker tracker = new Tracker(found.size(), bytesTotal, start);
        Stored[] results = new Stored[found.size()];
        ExecutorService pool = Executors.newFixedThreadPool(parallelism, r -> {
            Thread t = new Thread(r, "media-backup-" + source);
            t.setDaemon(true);
            return t;
        });
        try {
            List<Future<?>> futures = new ArrayList<>();
            AtomicInteger next = new AtomicInteger();
            AtomicInteger packNumbers = new AtomicInteger();
            // Workers pull files in walk order, so the archive order roughly follows the tree and a
            // failure stops the others promptly instead of leaving thousands of queued tasks.
            for (int t = 0; t < parallelism; t++) {
                futures.add(pool.submit(() -> {
                    Worker w = new Worker(writer, packNumbers);
                    try {
                        int i;
                        while ((i = next.getAndIncrement()) < found.size()) {
                            checkpoint.run();
                            Found f = found.get(i);
                            MediaFile known = reuse == null
                                    ? null
                                    : reuse.reuse(f.path(), f.file(), f.stat(), w.buf, w.small, w.ahead, checkpoint);
                            if (known != null) {
                                tracker.bytes(f.size());
                                results[i] = new Stored(known, null, false, false);
                            } else {
                                Stored packed =
                                        f.size() < MediaPackWriter.PACK_BELOW ? storePacked(w, f, tracker) : null;
                                results[i] = packed != null ? packed : store(writer, f, w.buf, w.sampleOut, tracker);
                            }
                            tracker.fileDone();
                        }
                        w.finish();
                    } finally {
                        w.abort();
                    }
                    return null;
                }));
            }
            for (Future<?> f : futures) {
                try {
                    f.get();
                } catch (ExecutionException e) {
                    next.set(Integer.MAX_VALUE / 2);
                    Throwable c = e.getCause();
                    if (c instanceof IOException io) {
                        throw io;
                    }
                    if (c instanceof RuntimeException re) {
                        throw re;
                    }
                    if (c instanceof Error err) {
                        throw err;
                    }
                    throw new IOException(c);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("media backup interrupted");
        } finally {
            pool.shutdownNow();
        }

        List<MediaFile> files = new ArrayList<>();
        List<String> warnings = new ArrayList<>(walkWarnings);
        List<String> inconsistent = new ArrayList<>();
        long bytes = 0;
        long raw = 0;
        long referenced = 0;
        long referencedBytes = 0;
        for (Stored s : results) {
            if (s.file() != null) {
                files.add(s.file());
                bytes += s.file().size();
                raw += s.raw() ? 1 : 0;
                if (s.file().referenced()) {
                    referenced++;
                    referencedBytes += s.file().size();
                }
            }
            if (s.warning() != null) {
                warnings.add(s.warning());
            }
            if (s.inconsistent()) {
                inconsistent.add(s.warning().substring(0, s.warning().indexOf(':')));
            }
        }
        MediaSection section = new MediaSection(source, files, dirs, links, warnings, Map.of());
        return new Result(
                section,
                List.copyOf(inconsistent),
                List.copyOf(warnings),
                files.size(),
                bytes,
                raw,
                referenced,
                referencedBytes,
                reuse == null ? 0 : reuse.hashedFiles());
    }

    /** What one worker thread keeps between files: its buffers and its packs (compressed, and stored as is). */
    private final class Worker {
        final byte[] buf = new byte[BUFFER];
        final byte[] sampleOut = new byte[(int) Zstd.compressBound(SAMPLE)];
        final byte[] small = new byte[MediaPackWriter.PACK_BELOW];
        final MediaReuse.ReadAhead ahead = new MediaReuse.ReadAhead();
        final MessageDigest sha = Digests.sha256();
        final MediaPackWriter packed;
        final MediaPackWriter stored;

        Worker(ArchiveWriter writer, AtomicInteger numbers) {
            packed = new MediaPackWriter(writer, source, codec, numbers);
            stored = codec == Codec.NONE ? packed : new MediaPackWriter(writer, source, Codec.NONE, numbers);
        }

        void finish() throws IOException {
            packed.finish();
            stored.finish();
        }

        void abort() {
            packed.abort();
            stored.abort();
        }
    }

    /**
     * Stores a small file as a member of the worker's pack, reading it whole into memory first so that nothing is
     * appended unless it was read unchanged (twice at most, like {@link #store}). Returns null when the file has
     * grown past {@link MediaPackWriter#PACK_BELOW}: it then gets an entry of its own.
     */
    private Stored storePacked(Worker w, Found f, Tracker tracker) throws IOException {
        tracker.current(f.path());
        if (w.ahead.holds(f.path())) {
            // Read whole and hashed already, unchanged around that read, to look its content up: stored from there.
            MediaReuse.ReadAhead a = w.ahead;
            a.clear();
            return appendToPack(w, f, a.stat(), a.length(), a.sha256(), tracker);
        }
        for (int attempt = 1; attempt <= 2; attempt++) {
            FileStat before;
            try {
                // The walk's stat serves the first read: a file changed since then shows a new ctime after the read
                // and is read again, so a second stat per file (20,000 on a tree of thumbnails) buys nothing.
                before = attempt == 1 ? f.stat() : FileStat.of(f.file());
            } catch (NoSuchFileException e) {
                return new Stored(null, f.path() + ": vanished during the backup, skipped", false, false);
            }
            if (!before.regularFile()) {
                return new Stored(null, f.path() + ": no longer a regular file, skipped", false, false);
            }
            long size = before.size();
            if (size >= MediaPackWriter.PACK_BELOW) {
                return null;
            }
            int read;
            try (InputStream in = Channels.newInputStream(
                    Files.newByteChannel(f.file(), StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS))) {
                read = readUpTo(in, w.small, w.small.length);
            } catch (NoSuchFileException e) {
                return new Stored(null, f.path() + ": vanished during the backup, skipped", false, false);
            }
            checkpoint.run();
            afterRead.accept(f.path(), attempt);
            FileStat after;
            try {
                after = FileStat.of(f.file());
            } catch (NoSuchFileException e) {
                return new Stored(null, f.path() + ": vanished while being read, skipped", false, false);
            }
            if (read == size && after.unchangedSince(before)) {
                w.sha.reset();
                w.sha.update(w.small, 0, read);
                return appendToPack(w, f, before, read, Digests.hex(w.sha.digest()), tracker);
            }
        }
        tracker.bytes(f.size());
        return new Stored(null, f.path() + ": changed while being read, twice; not stored (inconsistent)", true, false);
    }

    /** Appends the {@code read} bytes of {@code w.small}, read unchanged from {@code f} as {@code stat} says. */
    private Stored appendToPack(Worker w, Found f, FileStat stat, int read, String sha256, Tracker tracker)
            throws IOException {
        Codec chosen = chooseCodec(f.path(), w.small, Math.min(read, SAMPLE), w.sampleOut);
        MediaPackWriter pack = chosen == Codec.NONE ? w.stored : w.packed;
        MediaPackWriter.Member m = pack.add(f.path(), stat.mode(), stat.mtime(), w.small, read);
        tracker.bytes(read);
        MediaFile mf = new MediaFile(
                f.path(),
                m.entry(),
                read,
                MediaPaths.octal(stat.mode()),
                stat.mtime(),
                sha256,
                null,
                stat.ino(),
                stat.ctime(),
                f.path(),
                m.offset());
        return new Stored(mf, null, false, chosen == Codec.NONE && codec != Codec.NONE);
    }

    /** Stores one file, reading it a second time if it changed while read. */
    private Stored store(ArchiveWriter writer, Found f, byte[] buf, byte[] sampleOut, Tracker tracker)
            throws IOException {
        tracker.current(f.path());
        Codec chosen = null;
        for (int attempt = 1; attempt <= 2; attempt++) {
            FileStat before;
            try {
                before = FileStat.of(f.file());
            } catch (NoSuchFileException e) {
                return new Stored(null, f.path() + ": vanished during the backup, skipped", false, false);
            }
            if (!before.regularFile()) {
                return new Stored(null, f.path() + ": no longer a regular file, skipped", false, false);
            }
            long size = before.size();
            long read = 0;
            EntryBuilder entry = null;
            try (InputStream in = Channels.newInputStream(
                    Files.newByteChannel(f.file(), StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS))) {
                int n = readUpTo(in, buf, SAMPLE);
                if (chosen == null) {
                    chosen = chooseCodec(f.path(), buf, n, sampleOut);
                }
                // Stored as is, the entry is the file's size; compressed, a guess that regrows at most once or twice.
                entry = writer.openEntry(
                        EntryNames.mediaFile(source, f.path(), chosen),
                        EntryInfo.KIND_MEDIA_FILE,
                        chosen,
                        chosen == Codec.NONE ? size : size / 3 + 4096);
                while (n > 0) {
                    entry.write(buf, 0, n);
                    read += n;
                    tracker.bytes(n);
                    checkpoint.run();
                    n = in.read(buf);
                }
                afterRead.accept(f.path(), attempt);
                FileStat after;
                try {
                    after = FileStat.of(f.file());
                } catch (NoSuchFileException e) {
                    entry.abort();
                    return new Stored(null, f.path() + ": vanished while being read, skipped", false, false);
                }
                if (read == size && after.unchangedSince(before)) {
                    EntryInfo info = entry.commit();
                    MediaFile mf = new MediaFile(
                            f.path(),
                            info.name(),
                            info.rawSize(),
                            MediaPaths.octal(before.mode()),
                            before.mtime(),
                            info.sha256(),
                            null,
                            before.ino(),
                            before.ctime());
                    return new Stored(mf, null, false, chosen == Codec.NONE && codec != Codec.NONE);
                }
                entry.abort();
                // The bytes already counted will be read again.
                tracker.bytes(-read);
            } catch (NoSuchFileException e) {
                return new Stored(null, f.path() + ": vanished during the backup, skipped", false, false);
            } catch (IOException | RuntimeException | Error e) {
                if (entry != null) {
                    entry.abort();
                }
                throw e;
            }
        }
        tracker.bytes(f.size());
        return new Stored(null, f.path() + ": changed while being read, twice; not stored (inconsistent)", true, false);
    }

    /** Stores already-compressed content as is: by extension, else by a quick zstd-1 test of the first bytes. */
    private Codec chooseCodec(String path, byte[] sample, int n, byte[] sampleOut) {
        if (codec == Codec.NONE) {
            return Codec.NONE;
        }
        String name = path.substring(path.lastIndexOf('/') + 1);
        int dot = name.lastIndexOf('.');
        if (dot > 0 && COMPRESSED_EXTENSIONS.contains(name.substring(dot + 1).toLowerCase(Locale.ROOT))) {
            return Codec.NONE;
        }
        if (n < SAMPLE) {
            // The whole file is in the sample: testing it would compress it once more, which cost a quarter of the
            // CPU of a backup of 20,000 files of 1-64 KB (bench/README.md, 2026-12-05). zstd gives up quickly on an
            // incompressible block and stores it raw inside the frame, so compressing it outright costs no more.
            return codec;
        }
        long c = Zstd.compressByteArray(sampleOut, 0, sampleOut.length, sample, 0, n, 1);
        if (Zstd.isError(c)) {
            return codec;
        }
        return c > n * (1 - MIN_SAVING) ? Codec.NONE : codec;
    }

    static int readUpTo(InputStream in, byte[] buf, int len) throws IOException {
        int total = 0;
        while (total < len) {
            int r = in.read(buf, total, len - total);
            if (r < 0) {
                break;
            }
            total += r;
        }
        return total;
    }

    /** Counts progress from all workers and reports it one call at a time. */
    private static final long REPORT_EVERY_NANOS = 20_000_000L;

    private final class Tracker {
        private final long filesTotal;
        private final long bytesTotal;
        private final long start;
        private final AtomicLong files = new AtomicLong();
        private final AtomicLong bytes = new AtomicLong();
        private final AtomicLong lastReport = new AtomicLong();
        private final AtomicLong lastFileReport = new AtomicLong(System.nanoTime() - REPORT_EVERY_NANOS);
        private volatile String current;

        Tracker(long filesTotal, long bytesTotal, long start) {
            this.filesTotal = filesTotal;
            this.bytesTotal = bytesTotal;
            this.start = start;
        }

        void current(String path) {
            current = path;
        }

        void bytes(long n) {
            long now = bytes.addAndGet(n);
            // Large files report every 8 MiB so a single big file still shows movement.
            long last = lastReport.get();
            if (now - last >= (8 << 20) && lastReport.compareAndSet(last, now)) {
                report();
            }
        }

        void fileDone() {
            long done = files.incrementAndGet();
            // At most one report per REPORT_EVERY_NANOS (and the last file's): one per file was a twentieth of an
            // incremental backup of 20,000 unchanged files, and nobody reads progress that fine.
            long now = System.nanoTime();
            long last = lastFileReport.get();
            if (done == filesTotal || (now - last >= REPORT_EVERY_NANOS && lastFileReport.compareAndSet(last, now))) {
                report();
            }
        }

        private synchronized void report() {
            progress.onProgress(new MediaProgress(
                    files.get(),
                    filesTotal,
                    bytes.get(),
                    bytesTotal,
                    current,
                    Duration.ofNanos(System.nanoTime() - start)));
        }
    }
}
