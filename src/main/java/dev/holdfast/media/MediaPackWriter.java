package dev.holdfast.media;

import dev.holdfast.archive.ArchiveWriter;
import dev.holdfast.archive.Codec;
import dev.holdfast.archive.EntryBuilder;
import dev.holdfast.archive.EntryInfo;
import dev.holdfast.archive.EntryNames;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Date;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;

/**
 * One backup worker's current pack: small files appended as members of a plain tar that is compressed as one stream
 * into a {@link EntryInfo#KIND_MEDIA_PACK} entry, closed and committed once it holds {@link #PACK_SIZE} bytes.
 *
 * <p>Why packs (docs/archive-format.md, bench/README.md "Packs"): a file of a few KB compressed alone shares no
 * context with its neighbours and costs a tar header, a spool and two digests of its own. On 20,000 files of 1-64 KB
 * per-file entries took 3x {@code tar --zstd -cf}'s time, packs 1.1x (and 44 MB against tar's 82). A pack
 * stays a tar, so {@code tar -xOf archive <pack> | zstd -dc | tar -xf -} restores its files by hand with their modes
 * and mtimes (to the second; the manifest keeps the exact time).
 */
final class MediaPackWriter {
    /** Files smaller than this go into packs; larger ones keep an entry of their own (and stream, never buffered). */
    static final int PACK_BELOW = 1 << 20;
    /** Raw bytes after which a pack is committed: bounds what a reader decompresses to reach one member. */
    static final long PACK_SIZE = 8L << 20;
    /**
     * The least zstd level of a pack. Level 1's small match tables find much less of what neighbouring small files
     * share: on the benchmark's small tree, packs at level 1 were 2.6x larger than at 3 and took longer to write.
     */
    static final int MIN_ZSTD_LEVEL = 3;
    /**
     * A pack's zstd window: 8 MiB, the whole pack, so that a passage a file shares with any earlier file of its pack is
     * found (level 3's own window is 2 MiB). On the benchmark's small tree (zstd-jni, one thread, 650 MB in 8 MiB
     * packs): 82 MB in 1.04 s with level 3's window, 36 MB in 0.52 s with this one. Decompressing needs 8 MiB.
     */
    static final int WINDOW_LOG = 23;

    /** Where a file went: the pack's entry name, and the offset of its content in the pack's tar stream. */
    record Member(String entry, long offset) {}

    private final ArchiveWriter writer;
    private final String source;
    private final Codec codec;
    private final AtomicInteger numbers;
    private EntryBuilder entry;
    private TarArchiveOutputStream tar;

    /** {@code numbers}: shared by the workers of one root, so every pack of it has its own name. */
    MediaPackWriter(ArchiveWriter writer, String source, Codec codec, AtomicInteger numbers) {
        this.writer = writer;
        this.source = source;
        this.codec = codec;
        this.numbers = numbers;
    }

    /** Appends a file of {@code len} bytes from {@code data} under the member name {@code path}. */
    Member add(String path, int mode, Instant mtime, byte[] data, int len) throws IOException {
        if (entry == null) {
            open();
        }
        TarArchiveEntry te = new TarArchiveEntry(path, true);
        te.setSize(len);
        te.setMode(0100000 | (mode & 07777));
        // Whole seconds: a fractional mtime would cost every member a pax header; the manifest has the exact one.
        te.setModTime(new Date(Math.floorDiv(mtime.toEpochMilli(), 1000) * 1000));
        tar.putArchiveEntry(te);
        // The tar stream writes whole 512-byte records straight through, so after the header all of it is counted.
        long offset = entry.rawBytes();
        if (offset % 512 != 0) {
            throw new IllegalStateException("pack header not flushed: offset " + offset);
        }
        tar.write(data, 0, len);
        tar.closeArchiveEntry();
        Member m = new Member(entry.name(), offset);
        if (entry.rawBytes() >= PACK_SIZE) {
            finish();
        }
        return m;
    }

    /** Commits the pack in progress, if any (its tar ends with the two zero records standard tools expect). */
    void finish() throws IOException {
        if (entry == null) {
            return;
        }
        tar.finish();
        entry.commit();
        entry = null;
        tar = null;
    }

    /** Discards the pack in progress: the backup failed or was cancelled. */
    void abort() {
        if (entry != null) {
            entry.abort();
            entry = null;
            tar = null;
        }
    }

    private void open() throws IOException {
        int level = codec == Codec.ZSTD ? Math.max(MIN_ZSTD_LEVEL, writer.level(codec)) : writer.level(codec);
        entry = writer.openEntry(
                EntryNames.mediaPack(source, numbers.incrementAndGet(), codec),
                EntryInfo.KIND_MEDIA_PACK,
                codec,
                PACK_SIZE / 3,
                level,
                WINDOW_LOG);
        EntryBuilder out = entry;
        // The builder must stay open when the tar stream finishes: commit() ends it.
        tar = new TarArchiveOutputStream(
                new OutputStream() {
                    @Override
                    public void write(int b) throws IOException {
                        out.write(b);
                    }

                    @Override
                    public void write(byte[] b, int off, int len) throws IOException {
                        out.write(b, off, len);
                    }
                },
                512,
                StandardCharsets.UTF_8.name());
        tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
        tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
        tar.setAddPaxHeadersForNonAsciiNames(true);
    }
}
