package dev.holdfast.media;

import dev.holdfast.archive.ArchiveReader;
import dev.holdfast.archive.CorruptArchiveException;
import dev.holdfast.archive.Digests;
import dev.holdfast.archive.EntryInfo;
import dev.holdfast.archive.Manifest;
import dev.holdfast.archive.Manifest.MediaFile;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * Reads packed media files ({@link MediaPackWriter}) out of their packs, keeping one pack open and moving forward in
 * it, so that members asked for in stored order cost one decompression of each pack; one instance per reading thread.
 */
final class MediaPackReader implements Closeable {
    private ArchiveReader archive;
    private String entry;
    private InputStream in;
    private long position;
    // The member read last, for a file at the same place.
    private long lastOffset = -1;
    private byte[] lastData;

    /**
     * The content of {@code f}, a member of a pack of {@code reader}'s archive, as a stream that checks its SHA-256
     * when read to the end (throwing {@link CorruptArchiveException} naming the file if it differs). A member at
     * or after the previous one in the same pack is reached by reading on; any other reopens the pack.
     */
    InputStream open(ArchiveReader reader, MediaFile f) throws IOException {
        if (f.size() >= MediaPackWriter.PACK_BELOW) {
            throw new CorruptArchiveException("media file '" + f.path() + "' is recorded as a pack member of "
                    + f.size() + " bytes, more than any pack member can be");
        }
        long offset = f.memberOffset() == null ? -1 : f.memberOffset();
        if (offset < 0) {
            throw new CorruptArchiveException("media file '" + f.path() + "' is a pack member without an offset");
        }
        if (reader == archive && f.entry().equals(entry) && offset == lastOffset && f.size() == lastData.length) {
            // Another path with the same content (a copy an incremental backup refers to twice): its bytes, already
            // read, instead of reopening the pack to read them again. Its own SHA-256 is still checked.
            return checked(lastData, f);
        }
        if (reader != archive || !f.entry().equals(entry) || offset < position) {
            close();
            in = reader.openEntryForParts(f.entry());
            archive = reader;
            entry = f.entry();
        }
        long gap = offset - position;
        byte[] data;
        try {
            // Read, not skipped: the pack's stream must decompress what it passes over anyway.
            long skipped = Digests.skipByReading(in, gap);
            position += skipped;
            // Into an array of the member's size (under PACK_BELOW, checked above): readNBytes(int) would gather
            // it in pieces and copy them once more.
            data = new byte[skipped == gap ? (int) f.size() : 0];
            int read = in.readNBytes(data, 0, data.length);
            if (read < data.length) {
                data = Arrays.copyOf(data, read);
            }
            position += data.length;
        } catch (IOException | RuntimeException e) {
            // Where a failed read left the stream is unknown: the next member reopens the pack rather than trust it.
            closeQuietly();
            throw e;
        }
        lastOffset = offset;
        lastData = data;
        if (data.length < f.size()) {
            close();
            throw new CorruptArchiveException("pack '" + f.entry() + "' ends before media file '" + f.path()
                    + "' (offset " + offset + ", " + f.size() + " bytes)");
        }
        return checked(data, f);
    }

    private void closeQuietly() {
        try {
            close();
        } catch (IOException ignored) {
            // already failing; the read's own error is the one reported
        }
    }

    /** Closes the pack being read, if any; the next {@link #open} reopens what it needs. */
    @Override
    public void close() throws IOException {
        InputStream open = in;
        in = null;
        archive = null;
        entry = null;
        position = 0;
        lastOffset = -1;
        lastData = null;
        if (open != null) {
            open.close();
        }
    }

    /** A stream of {@code data} that compares its SHA-256 with {@code f}'s once read to its end (on the reader's thread). */
    private static InputStream checked(byte[] data, MediaFile f) {
        return new InputStream() {
            private int pos;
            private boolean verified;

            @Override
            public int read() throws IOException {
                return pos < data.length ? data[pos++] & 0xff : endOfData();
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                if (len == 0) {
                    return 0;
                }
                if (pos >= data.length) {
                    return endOfData();
                }
                int n = Math.min(len, data.length - pos);
                System.arraycopy(data, pos, b, off, n);
                pos += n;
                return n;
            }

            private int endOfData() throws CorruptArchiveException {
                if (!verified) {
                    MessageDigest sha = Digests.sha256();
                    sha.update(data);
                    if (!Digests.hex(sha.digest()).equals(f.sha256())) {
                        throw new CorruptArchiveException(
                                "media file '" + f.path() + "' in pack '" + f.entry() + "' does not match its SHA-256");
                    }
                    verified = true;
                }
                return -1;
            }
        };
    }

    /**
     * The packed media files {@code manifest} records as its own (not {@code stored_in}), by {@link #key}: what a
     * reference to a member of that archive must agree with.
     */
    static Map<String, MediaFile> members(Manifest manifest) {
        Map<String, MediaFile> out = new HashMap<>();
        for (Manifest.MediaSection s : manifest.media()) {
            for (MediaFile f : s.files()) {
                if (f.packed() && !f.referenced()) {
                    out.put(key(f), f);
                }
            }
        }
        return out;
    }

    /** A packed file's place: its pack and its offset in it. */
    static String key(MediaFile f) {
        return f.entry() + "@" + f.memberOffset();
    }

    /**
     * Why {@code f}, a pack member stored in the archive whose {@code manifest} and pack entry {@code pack} are given,
     * cannot be read from it; null when its place is consistent (its bytes are checked as they are read). For a
     * referenced file, {@code holderMembers} ({@link #members} of the holder) must record the same content there.
     */
    static String inconsistency(MediaFile f, EntryInfo pack, Map<String, MediaFile> holderMembers) {
        if (pack == null || !EntryInfo.KIND_MEDIA_PACK.equals(pack.kind())) {
            return "its entry '" + f.entry() + "' is not a media pack";
        }
        if (f.memberOffset() == null
                || f.memberOffset() < 0
                || f.size() >= MediaPackWriter.PACK_BELOW
                || f.memberOffset() + f.size() > pack.rawSize()) {
            return "its place in pack '" + f.entry() + "' lies outside the pack";
        }
        if (holderMembers != null) {
            MediaFile held = holderMembers.get(key(f));
            if (held == null || held.size() != f.size() || !held.sha256().equals(f.sha256())) {
                return "the holder's manifest records another content at its place in pack '" + f.entry() + "'";
            }
        }
        return null;
    }
}
