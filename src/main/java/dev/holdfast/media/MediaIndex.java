package dev.holdfast.media;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.holdfast.archive.ChunkedBytes;
import dev.holdfast.archive.Codec;
import dev.holdfast.archive.Manifest.MediaFile;
import dev.holdfast.archive.Manifest.MediaSection;
import dev.holdfast.archive.ManifestCodec;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The files of one media root as an earlier backup recorded them, each with the backup whose archive holds its
 * bytes: what an incremental {@link MediaBackup} recognises unchanged files and known contents against.
 */
public final class MediaIndex {
    /**
     * A file of the earlier backup.
     *
     * @param file as its manifest recorded it
     * @param holder the backup whose archive holds the content as {@code file.entry()}
     */
    public record Known(MediaFile file, String holder) {}

    private static final ObjectMapper JSON =
            ManifestCodec.mapper().disable(com.fasterxml.jackson.databind.SerializationFeature.INDENT_OUTPUT);
    private static final TypeReference<List<MediaFile>> FILES = new TypeReference<>() {};

    private final String backupId;
    private final Map<String, Known> byPath = new HashMap<>();
    private final Map<Long, List<Known>> bySize = new HashMap<>();

    private MediaIndex(String backupId) {
        this.backupId = backupId;
    }

    /**
     * The index of {@code section} as backup {@code backupId} recorded it: a file without {@code stored_in} is held
     * by that backup itself.
     */
    public static MediaIndex of(String backupId, MediaSection section) {
        MediaIndex index = new MediaIndex(Objects.requireNonNull(backupId, "backupId"));
        for (MediaFile f : section.files()) {
            Known k = new Known(f, f.storedIn() != null ? f.storedIn() : backupId);
            index.byPath.put(f.path(), k);
            index.bySize.computeIfAbsent(f.size(), s -> new ArrayList<>(1)).add(k);
        }
        return index;
    }

    /**
     * The stored form of a root's file index: its manifest records ({@code media[].files}) as JSON, zstd-compressed
     * at level 1 (about a fifth of the JSON; a catalog keeps one per backup and root).
     */
    public static byte[] encode(List<MediaFile> files) {
        return encodeJson(ManifestCodec.filesJson(files));
    }

    /**
     * As {@link #encode}, from the files' JSON written already ({@link ManifestCodec#filesJson}). The JSON is streamed
     * through the compressor chunk by chunk: compressing it at once needed it as one array (7 MB for 20,000 files) and
     * an output array of its bound, both humongous. The frame then does not record its content size; {@link #decode}
     * reads it as a stream and reads the indexes of earlier versions (which did) as well.
     */
    public static byte[] encodeJson(ChunkedBytes filesJson) {
        ChunkedBytes out = new ChunkedBytes(filesJson.size() / 4);
        try (OutputStream z = Codec.ZSTD.compress(out, 1)) {
            filesJson.writeTo(z);
        } catch (IOException e) {
            throw new UncheckedIOException(e); // memory only
        }
        return out.toByteArray();
    }

    /** The files of an index {@link #encode} wrote, decompressed and parsed as a stream. */
    public static List<MediaFile> decode(byte[] data) {
        try (InputStream in = Codec.ZSTD.decompress(new ByteArrayInputStream(data))) {
            return JSON.readValue(in, FILES);
        } catch (IOException e) {
            throw new UncheckedIOException(new IOException("not a media index: " + e.getMessage(), e));
        }
    }

    /** The backup this index was read from (an incremental backup's parent for this root). */
    public String backupId() {
        return backupId;
    }

    /**
     * The earlier record of {@code path} when the file still has the same size, mtime, status-change time and
     * inode, so its content cannot have changed without the kernel noticing; null otherwise (or when that backup
     * did not record ctime and inode).
     */
    Known unchanged(String path, long size, Instant mtime, Instant ctime, long inode) {
        Known k = byPath.get(path);
        if (k == null || k.file().ctime() == null || k.file().inode() == null) {
            return null;
        }
        MediaFile f = k.file();
        return f.size() == size && mtime.equals(f.mtime()) && ctime.equals(f.ctime()) && f.inode() == inode ? k : null;
    }

    /** Whether some earlier content has exactly this size, so that hashing a file may find it stored already. */
    boolean hasSize(long size) {
        return bySize.containsKey(size);
    }

    /** An earlier content with this size and SHA-256, preferring the one recorded at {@code path}; or null. */
    Known content(long size, String sha256, String path) {
        Known same = byPath.get(path);
        if (same != null && same.file().size() == size && same.file().sha256().equals(sha256)) {
            return same;
        }
        for (Known k : bySize.getOrDefault(size, List.of())) {
            if (k.file().sha256().equals(sha256)) {
                return k;
            }
        }
        return null;
    }
}
