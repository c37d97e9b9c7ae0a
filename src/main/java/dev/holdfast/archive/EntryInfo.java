package dev.holdfast.archive;

import com.fasterxml.jackson.annotation.JsonPropertyOrder;

/**
 * What the writer recorded for one stored entry; the manifest lists exactly these, so its sizes and
 * checksums are measured from the bytes written, never supplied by the engines.
 *
 * @param name the tar entry name
 * @param kind what it holds: {@link #KIND_TABLE_DATA}, {@link #KIND_SCHEMA}, {@link #KIND_MEDIA_FILE} or another
 * @param codec how it is compressed
 * @param rawSize bytes before compression
 * @param storedSize bytes in the tar
 * @param sha256 lower-case hex SHA-256 of the raw (decompressed) bytes
 * @param storedSha256 lower-case hex SHA-256 of the stored bytes, what {@code tar -xOf a.tar NAME | sha256sum} shows
 * @param offset byte offset of the entry's data in the archive, for a ranged read of one entry
 */
@JsonPropertyOrder({"name", "kind", "codec", "raw_size", "stored_size", "sha256", "stored_sha256", "offset"})
public record EntryInfo(
        String name,
        String kind,
        Codec codec,
        long rawSize,
        long storedSize,
        String sha256,
        String storedSha256,
        long offset) {
    /** Table data: PostgreSQL COPY output. */
    public static final String KIND_TABLE_DATA = "table-data";
    /** A schema dump ({@code pg_dump --schema-only}). */
    public static final String KIND_SCHEMA = "schema";
    /** A media file. */
    public static final String KIND_MEDIA_FILE = "media-file";
    /**
     * Many small media files in one entry: an uncompressed tar of them (their paths, modes, mtimes), compressed as
     * one stream so that they share context; {@link Manifest.MediaFile#member} names a file in it.
     */
    public static final String KIND_MEDIA_PACK = "media-pack";
    /** Anything else kept alongside (tool logs, reports). */
    public static final String KIND_OTHER = "other";
}
