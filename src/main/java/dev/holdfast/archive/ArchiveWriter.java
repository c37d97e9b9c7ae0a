package dev.holdfast.archive;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;

/**
 * Streams a Holdfast archive (a tar of individually compressed entries, {@code manifest.json} last) to an
 * output stream; entries may be produced by several threads at once and are appended one at a time.
 *
 * <p>A tar header needs the entry's size before its data, and a compressed size is only known at the
 * end, so each entry is compressed into a {@link Spool} first (memory up to a threshold, then an
 * unlinked temp file) while the producer runs, and copied into the tar under a lock by
 * {@link EntryBuilder#commit()}. That costs one extra local write and read of the compressed bytes per
 * entry and buys unbounded parallel producers with memory bounded by {@code producers x threshold}.
 *
 * <p>The writer never closes the target stream: the caller owns it and decides whether to commit it.
 */
public final class ArchiveWriter implements Closeable {
    /** Tar record size: one block, so the archive ends with exactly two zero blocks and no extra padding. */
    static final int RECORD_SIZE = 512;
    /** The mode of every tar entry: whoever extracts by hand gets private files. */
    static final int ENTRY_MODE = 0100600;

    /**
     * Writer settings.
     *
     * @param spoolDir where entries larger than {@code memorySpoolLimit} are compressed before being appended
     * @param maxSize the largest archive allowed, in bytes ({@code holdfast.archive.max-size})
     * @param zstdLevel zstd level for {@link Codec#ZSTD} entries
     * @param gzipLevel deflate level for {@link Codec#GZIP} entries
     * @param memorySpoolLimit compressed bytes an entry may keep in memory before spilling to a temp file
     * @param entryTime the modification time put in every tar header
     */
    public record Options(
            Path spoolDir, long maxSize, int zstdLevel, int gzipLevel, int memorySpoolLimit, Instant entryTime) {
        public Options {
            Objects.requireNonNull(spoolDir, "spoolDir");
            if (maxSize <= 0) {
                throw new IllegalArgumentException("maxSize must be positive");
            }
            Codec.ZSTD.checkLevel(zstdLevel);
            Codec.GZIP.checkLevel(gzipLevel);
            if (memorySpoolLimit < 0) {
                throw new IllegalArgumentException("memorySpoolLimit must not be negative");
            }
            // Whole seconds: a fractional time would add a pax header to every entry.
            entryTime = (entryTime == null ? Clock.systemUTC().instant() : entryTime).truncatedTo(ChronoUnit.SECONDS);
        }

        /**
         * Defaults: zstd 3, gzip 6, up to 4 MiB in memory per entry (typical photos and documents never touch the
         * spool directory), headers dated now.
         */
        public static Options defaults(Path spoolDir, long maxSize) {
            return defaults(spoolDir, maxSize, Clock.systemUTC());
        }

        /** As {@link #defaults(Path, long)}, with headers dated by {@code clock} (the service's TimeSource). */
        public static Options defaults(Path spoolDir, long maxSize, Clock clock) {
            return new Options(
                    spoolDir, maxSize, Codec.ZSTD.defaultLevel(), Codec.GZIP.defaultLevel(), 4 << 20, clock.instant());
        }

        /** A copy with another zstd level. */
        public Options withZstdLevel(int level) {
            return new Options(spoolDir, maxSize, level, gzipLevel, memorySpoolLimit, entryTime);
        }

        /** A copy with another gzip level. */
        public Options withGzipLevel(int level) {
            return new Options(spoolDir, maxSize, zstdLevel, level, memorySpoolLimit, entryTime);
        }

        /** A copy with another in-memory spool limit. */
        public Options withMemorySpoolLimit(int bytes) {
            return new Options(spoolDir, maxSize, zstdLevel, gzipLevel, bytes, entryTime);
        }

        int level(Codec codec) {
            return switch (codec) {
                case ZSTD -> zstdLevel;
                case GZIP -> gzipLevel;
                case NONE -> 0;
            };
        }
    }

    private final Options options;
    private final Digests.DigestingOutputStream counted;
    private final boolean hashArchive;
    private final TarArchiveOutputStream tar;
    private final Object lock = new Object();
    // Guarded by lock.
    private final List<EntryInfo> written = new ArrayList<>();
    private final Set<String> reserved = new HashSet<>();
    private final Set<EntryBuilder> open = new LinkedHashSet<>();
    private final List<String> abandoned = new ArrayList<>();
    private IOException failure;
    private boolean finished;
    private boolean closed;
    // Read without the lock by producers checking the size budget.
    private volatile long bytesWritten;

    /** Starts an archive on {@code target}; nothing is written until the first entry is committed. */
    public ArchiveWriter(OutputStream target, Options options) throws IOException {
        this(target, options, true);
    }

    /**
     * As {@link #ArchiveWriter(OutputStream, Options)}; with {@code hashArchive} false the whole archive's SHA-256
     * is not computed (the summary has none), for a caller that hashes the archive as it reads it back anyway.
     */
    public ArchiveWriter(OutputStream target, Options options, boolean hashArchive) throws IOException {
        this.options = Objects.requireNonNull(options, "options");
        this.hashArchive = hashArchive;
        Files.createDirectories(options.spoolDir());
        this.counted = new Digests.DigestingOutputStream(new NonClosing(target), hashArchive) {
            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                // Backstop for the checks made before each entry: the limit holds even if they were wrong.
                if (count + len > ArchiveWriter.this.options.maxSize()) {
                    throw new ArchiveTooLargeException(ArchiveWriter.this.options.maxSize(), count + len, null);
                }
                super.write(b, off, len);
                bytesWritten = count;
            }

            @Override
            public void write(int b) throws IOException {
                write(new byte[] {(byte) b}, 0, 1);
            }
        };
        this.tar = new TarArchiveOutputStream(counted, RECORD_SIZE, StandardCharsets.UTF_8.name());
        tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
        tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
        tar.setAddPaxHeadersForNonAsciiNames(true);
    }

    /** The settings this writer was made with. */
    public Options options() {
        return options;
    }

    /**
     * Starts an entry; write its raw bytes to the returned builder (from any one thread), then call
     * {@link EntryBuilder#commit()}. Closing the builder without committing discards it, so an exception in
     * a try-with-resources block never stores a truncated entry.
     */
    public EntryBuilder openEntry(String name, String kind, Codec codec) throws IOException {
        return openEntry(name, kind, codec, 4096);
    }

    /**
     * As {@link #openEntry(String, String, Codec)}, with the number of stored bytes expected (a file's size, say),
     * so that an entry that fits in memory is spooled without regrowing its buffer.
     */
    public EntryBuilder openEntry(String name, String kind, Codec codec, long expectedStoredBytes) throws IOException {
        return openEntry(name, kind, codec, expectedStoredBytes, options.level(codec), 0);
    }

    /**
     * As {@link #openEntry(String, String, Codec, long)}, compressed at {@code level} instead of the configured one and
     * with a match window of {@code 2^windowLog} bytes (0: the level's own; {@link Codec#compress(OutputStream, int,
     * int)}).
     */
    public EntryBuilder openEntry(
            String name, String kind, Codec codec, long expectedStoredBytes, int level, int windowLog)
            throws IOException {
        EntryNames.requireSafe(name);
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(codec, "codec");
        EntryBuilder builder;
        synchronized (lock) {
            reserveLocked(name);
        }
        try {
            builder = new EntryBuilder(this, name, kind, codec, expectedStoredBytes, level, windowLog);
        } catch (IOException | RuntimeException e) {
            synchronized (lock) {
                reserved.remove(name);
            }
            throw e;
        }
        return builder;
    }

    /** Adds an entry read to its end from {@code in} (not closed), compressed with {@code codec}. */
    public EntryInfo addEntry(String name, String kind, Codec codec, InputStream in) throws IOException {
        try (EntryBuilder b = openEntry(name, kind, codec)) {
            in.transferTo(b);
            return b.commit();
        }
    }

    /**
     * Adds a file as is ({@link Codec#NONE}), for content that is already compressed. Its size is known, so
     * it is copied straight into the tar without spooling; if the file changes while being copied the
     * archive is unusable and this throws, failing the writer.
     */
    public EntryInfo addRawFile(String name, String kind, Path file) throws IOException {
        EntryNames.requireSafe(name);
        synchronized (lock) {
            reserveLocked(name);
            long size = Files.size(file);
            FileTime before = Files.getLastModifiedTime(file);
            checkBudget(name, size);
            try (InputStream in = Files.newInputStream(file)) {
                Digests.DigestingInputStream digesting = new Digests.DigestingInputStream(in);
                long offset = appendLocked(name, size, digesting);
                if (digesting.count != size
                        || in.read() >= 0
                        || !Files.getLastModifiedTime(file).equals(before)) {
                    throw fail(new ArchiveException("file " + file + " changed while being archived as '" + name
                            + "'; the archive is unusable"));
                }
                String sha = Digests.hex(digesting.digest.digest());
                EntryInfo info = new EntryInfo(name, kind, Codec.NONE, size, size, sha, sha, offset);
                written.add(info);
                return info;
            }
        }
    }

    /**
     * Writes the manifest ({@code manifest} with its entries replaced by the ones written) as is, as
     * {@code manifest.json}, and its checksum, then ends the tar. The target stream is flushed, not closed.
     */
    public ArchiveSummary finish(Manifest manifest) throws IOException {
        return finish(manifest, Codec.NONE);
    }

    /**
     * As {@link #finish(Manifest)}, with the manifest compressed by {@code codec} as {@link EntryNames#manifest(Codec)}
     * at the codec's fastest level: a manifest is mostly paths and hex digests, and zstd's level 1 made a 20,000-file
     * manifest smaller than level 3 did (1.41 against 1.56 MB of 7.4) in less time. The checksum entry
     * ({@link EntryNames#manifestSum(String)}) is of the stored bytes, so {@code sha256sum -c} checks the file that
     * {@code tar -x} gives.
     */
    public ArchiveSummary finish(Manifest manifest, Codec codec) throws IOException {
        return finish(manifest, codec, null);
    }

    /** As {@link #finish(Manifest, Codec)}, copying the media files written already as {@code files} (null: none). */
    public ArchiveSummary finish(Manifest manifest, Codec codec, WrittenFiles files) throws IOException {
        synchronized (lock) {
            checkUsable();
            if (!open.isEmpty()) {
                throw new IllegalStateException("entries still open (neither committed nor aborted): "
                        + open.stream().map(EntryBuilder::name).toList());
            }
            if (!abandoned.isEmpty()) {
                throw new ArchiveException("entries were closed without commit() or abort(), their data is not "
                        + "in the archive: " + abandoned);
            }
            Manifest full = manifest.withEntries(List.copyOf(written));
            String name = EntryNames.manifest(codec);
            ChunkedBytes stored = compressed(full, files, codec);
            String manifestSha = Digests.sha256Hex(stored.reader());
            byte[] sumLine = (manifestSha + "  " + name + "\n").getBytes(StandardCharsets.US_ASCII);
            try {
                checkBudget(name, stored.size() + sumLine.length + 512L);
                putRaw(name, stored);
                putRaw(EntryNames.manifestSum(name), sumLine);
                tar.finish();
                tar.flush();
            } catch (IOException | RuntimeException e) {
                throw fail(e);
            }
            finished = true;
            return new ArchiveSummary(
                    full, manifestSha, hashArchive ? Digests.hex(counted.digest.digest()) : null, counted.count);
        }
    }

    /**
     * The manifest's JSON, compressed by {@code codec} as it is written (no array of the whole JSON first), in chunks
     * (no humongous array either: 1.4 MB compressed for 20,000 files).
     */
    private static ChunkedBytes compressed(Manifest manifest, WrittenFiles files, Codec codec) throws IOException {
        ChunkedBytes out = new ChunkedBytes();
        try (OutputStream c = codec == Codec.NONE ? out : codec.compress(out, codec.fastestLevel())) {
            ManifestCodec.write(manifest, files, c);
        }
        return out;
    }

    /** Claims an entry name; the caller holds {@code lock}. */
    private void reserveLocked(String name) throws IOException {
        checkUsable();
        if (EntryNames.isManifestFile(name)) {
            throw new IllegalArgumentException("'" + name + "' is reserved for the manifest");
        }
        if (!reserved.add(name)) {
            throw new IllegalArgumentException("duplicate entry name '" + name + "'");
        }
    }

    /** Bytes written to the target so far. */
    public long bytesWritten() {
        return bytesWritten;
    }

    /** Entries committed so far, in archive order. */
    public List<EntryInfo> entries() {
        synchronized (lock) {
            return List.copyOf(written);
        }
    }

    /** Discards every open entry and makes the writer unusable; the target stream is left to its owner. */
    @Override
    public void close() throws IOException {
        List<EntryBuilder> toAbort;
        synchronized (lock) {
            if (closed) {
                return;
            }
            closed = true;
            toAbort = new ArrayList<>(open);
        }
        for (EntryBuilder b : toAbort) {
            b.abort();
        }
    }

    // ---- used by EntryBuilder ----

    OutputStream newCompressor(Codec codec, OutputStream out, int level, int windowLog) throws IOException {
        return codec.compress(out, level, windowLog);
    }

    /** The level entries of {@code codec} are compressed at unless one is given. */
    public int level(Codec codec) {
        return options.level(codec);
    }

    Spool newSpool(long expectedBytes) {
        return new Spool(options.spoolDir(), options.memorySpoolLimit(), expectedBytes);
    }

    void registerOpen(EntryBuilder b) {
        synchronized (lock) {
            open.add(b);
        }
    }

    /** Throws once an entry of {@code storedSoFar} bytes can no longer fit, while it is still being produced. */
    void checkGrowing(String name, long storedSoFar) throws ArchiveTooLargeException {
        long projected = bytesWritten + storedSoFar;
        if (projected > options.maxSize()) {
            throw new ArchiveTooLargeException(options.maxSize(), projected, name);
        }
    }

    EntryInfo commit(EntryBuilder b, long rawSize, String rawSha, Spool spool) throws IOException {
        synchronized (lock) {
            open.remove(b);
            checkUsable();
            checkBudget(b.name(), spool.size());
            // The stored digest was taken while spooling; the bytes are not hashed a second time here
            // because the mandatory re-read after writing (ArchiveReader.verify) would catch a spool
            // damaged in between, and a second pass costs about a tenth of the throughput.
            try (InputStream in = spool.openForRead()) {
                long offset = appendLocked(b.name(), spool.size(), in);
                String storedSha = b.storedShaWhileSpooling();
                // Stored as is: raw and stored bytes are the same, hashed once (rawSha is null then).
                EntryInfo info = new EntryInfo(
                        b.name(),
                        b.kind(),
                        b.codec(),
                        rawSize,
                        spool.size(),
                        rawSha == null ? storedSha : rawSha,
                        storedSha,
                        offset);
                written.add(info);
                return info;
            }
        }
    }

    void release(EntryBuilder b, boolean abandonedWithoutAbort) {
        synchronized (lock) {
            if (open.remove(b)) {
                reserved.remove(b.name());
                if (abandonedWithoutAbort) {
                    abandoned.add(b.name());
                }
            }
        }
    }

    // ---- internals, all called with the lock held ----

    /** Appends one entry of exactly {@code storedSize} bytes; returns the offset of its data. */
    private long appendLocked(String name, long storedSize, InputStream data) throws IOException {
        try {
            TarArchiveEntry te = new TarArchiveEntry(name, true);
            te.setSize(storedSize);
            te.setMode(ENTRY_MODE);
            stamp(te);
            tar.putArchiveEntry(te);
            long offset = counted.count;
            long copied = copyExactly(data, tar, storedSize);
            if (copied != storedSize) {
                throw new ArchiveException("'" + name + "' ended after " + copied + " of " + storedSize + " bytes");
            }
            tar.closeArchiveEntry();
            return offset;
        } catch (IOException | RuntimeException e) {
            throw fail(e);
        }
    }

    private void stamp(TarArchiveEntry te) {
        te.setModTime(options.entryTime().toEpochMilli());
        // The defaults would record the service account's name; an archive says nothing about its host.
        te.setUserId(0);
        te.setGroupId(0);
        te.setUserName("");
        te.setGroupName("");
    }

    private static long copyExactly(InputStream in, OutputStream out, long n) throws IOException {
        byte[] buf = new byte[64 * 1024];
        long done = 0;
        while (done < n) {
            int r = in.read(buf, 0, (int) Math.min(buf.length, n - done));
            if (r < 0) {
                break;
            }
            out.write(buf, 0, r);
            done += r;
        }
        return done;
    }

    private void putRaw(String name, ChunkedBytes data) throws IOException {
        TarArchiveEntry te = new TarArchiveEntry(name, true);
        te.setSize(data.size());
        te.setMode(ENTRY_MODE);
        stamp(te);
        tar.putArchiveEntry(te);
        data.writeTo(tar);
        tar.closeArchiveEntry();
    }

    private void putRaw(String name, byte[] data) throws IOException {
        TarArchiveEntry te = new TarArchiveEntry(name, true);
        te.setSize(data.length);
        te.setMode(ENTRY_MODE);
        stamp(te);
        tar.putArchiveEntry(te);
        tar.write(data);
        tar.closeArchiveEntry();
    }

    private void checkBudget(String name, long storedSize) throws ArchiveTooLargeException {
        // Headers (a pax header for long or non-ASCII names), padding and the two closing zero blocks.
        long overhead = 3L * 512 + roundUp(name.getBytes(StandardCharsets.UTF_8).length + 64L) + 1024;
        long projected = counted.count + roundUp(storedSize) + overhead;
        if (projected > options.maxSize()) {
            throw new ArchiveTooLargeException(options.maxSize(), counted.count + storedSize, name);
        }
    }

    private static long roundUp(long n) {
        return (n + 511) / 512 * 512;
    }

    private void checkUsable() throws IOException {
        if (failure != null) {
            throw new ArchiveException("archive writer failed earlier: " + failure.getMessage(), failure);
        }
        if (finished) {
            throw new IllegalStateException("archive already finished");
        }
        if (closed) {
            throw new IllegalStateException("archive writer closed");
        }
    }

    private IOException fail(Throwable e) {
        IOException io = e instanceof IOException x ? x : new ArchiveException(String.valueOf(e.getMessage()), e);
        if (failure == null) {
            failure = io;
        }
        return io;
    }

    /** Keeps the tar stream's close() from reaching the caller's stream. */
    private static final class NonClosing extends java.io.FilterOutputStream {
        NonClosing(OutputStream out) {
            super(out);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
        }

        @Override
        public void close() throws IOException {
            out.flush();
        }
    }
}
