package dev.holdfast.archive;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.TextNode;
import dev.holdfast.archive.Manifest.DatabaseSection;
import dev.holdfast.archive.Manifest.FkEdge;
import dev.holdfast.archive.Manifest.MediaDirectory;
import dev.holdfast.archive.Manifest.MediaFile;
import dev.holdfast.archive.Manifest.MediaSection;
import dev.holdfast.archive.Manifest.MediaSymlink;
import dev.holdfast.archive.Manifest.SequenceEntry;
import dev.holdfast.archive.Manifest.TableEntry;
import dev.holdfast.archive.Manifest.TableRef;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ManifestCodecTest {
    static Manifest sample() {
        TableRef orders = new TableRef("public", "orders");
        TableRef customers = new TableRef("public", "customers");
        DatabaseSection db = new DatabaseSection(
                "main",
                "15.8",
                "15.8",
                "00000003-0000001B-1",
                Instant.parse("2024-05-01T00:00:01Z"),
                "text",
                "databases/main/schema.dump",
                List.of(new TableEntry(
                        "public",
                        "customers",
                        List.of("id", "name"),
                        2,
                        "databases/main/data/public.customers.copy.zst",
                        "binary",
                        Map.of())),
                List.of(new FkEdge("orders_customer_fk", orders, customers, false)),
                List.of(List.of(orders)),
                List.of(new SequenceEntry("public", "orders_id_seq", 42, true, "public.orders.id")),
                List.of("w"),
                Map.of("identity_columns", new TextNode("none")));
        MediaSection media = new MediaSection(
                "uploads",
                List.of(new MediaFile(
                        "a/b.jpg",
                        "media/uploads/files/a/b.jpg",
                        10,
                        "0644",
                        Instant.parse("2024-01-01T00:00:00Z"),
                        "ab")),
                List.of(
                        new MediaDirectory(".", "0755", Instant.parse("2024-01-01T00:00:00Z")),
                        new MediaDirectory("a", "0700", Instant.parse("2024-01-02T00:00:00Z"))),
                List.of(new MediaSymlink("a/link", "b.jpg", Instant.parse("2024-01-03T00:00:00Z"))),
                List.of(),
                null);
        return Manifest.of("b-1", "nightly", "full", Instant.parse("2024-05-01T00:00:00Z"))
                .withTools(Map.of("holdfast", "0.1.0", "pg_dump", "15.8"))
                .withEntries(List.of(new EntryInfo(
                        "databases/main/data/public.customers.copy.zst",
                        EntryInfo.KIND_TABLE_DATA,
                        Codec.ZSTD,
                        100,
                        50,
                        "aa",
                        "bb",
                        1024)))
                .withDatabases(List.of(db))
                .withMedia(List.of(media));
    }

    @Test
    void jsonIsSnakeCaseInDeclarationOrderAndRoundTrips() throws Exception {
        Manifest m = sample();
        String json = new String(ManifestCodec.toBytes(m), StandardCharsets.UTF_8);
        assertThat(json)
                .containsSubsequence(
                        "\"format_version\":1",
                        "\"backup_id\"",
                        "\"name\"",
                        "\"backup_type\"",
                        "\"created_at\":\"2024-05-01T00:00:00Z\"",
                        "\"tools\"",
                        "\"entries\"",
                        "\"databases\"",
                        "\"media\"");
        assertThat(json)
                .contains(
                        "\"codec\":\"zstd\"",
                        "\"raw_size\":100",
                        "\"stored_sha256\":\"bb\"",
                        "\"server_version\"",
                        "\"pg_dump_version\"",
                        "\"snapshot_id\"",
                        "\"fk_edges\"",
                        "\"row_count\":2",
                        "\"last_value\":42",
                        "\"is_called\":true",
                        "\"schema_entry\"");
        assertThat(json)
                .containsSubsequence(
                        "\"source\":\"uploads\"",
                        "\"files\"",
                        "\"directories\"",
                        "\"path\":\".\"",
                        "\"mode\":\"0755\"",
                        "\"symlinks\"",
                        "\"target\":\"b.jpg\"",
                        "\"warnings\"");
        assertThat(ManifestCodec.fromBytes(ManifestCodec.toBytes(m))).isEqualTo(m);
    }

    @Test
    void filesWrittenOnceGiveTheSameManifestByteForByte() throws Exception {
        // Two roots, one with change-detection facts, references and pack members, one empty, and a name that is not
        // ASCII: every shape a MediaFile is written in.
        MediaSection rich = new MediaSection(
                "uploads",
                List.of(
                        new MediaFile(
                                "a/é ü.jpg",
                                "media/uploads/files/a/x",
                                10,
                                "0644",
                                Instant.parse("2024-01-01T00:00:00.123456789Z"),
                                "ab",
                                "b-0",
                                77L,
                                Instant.parse("2024-01-01T00:00:01Z")),
                        new MediaFile(
                                "b",
                                "media/uploads/packs/0001.tar",
                                3,
                                "0600",
                                Instant.parse("2024-01-02T00:00:00Z"),
                                "cd",
                                null,
                                78L,
                                Instant.parse("2024-01-02T00:00:00Z"),
                                "b",
                                512L)),
                List.of(new MediaDirectory(".", "0755", Instant.parse("2024-01-01T00:00:00Z"))),
                List.of(),
                List.of("w"),
                null);
        MediaSection empty = new MediaSection("avatars", List.of(), List.of(), List.of(), List.of(), null);
        Manifest m = sample().withMedia(List.of(rich, empty));
        WrittenFiles written = WrittenFiles.of(m.media());

        assertThat(ManifestCodec.toBytes(m, written)).isEqualTo(ManifestCodec.toBytes(m));
        assertThat(written.json(rich).toByteArray())
                .isEqualTo(ManifestCodec.filesJson(rich.files()).toByteArray());
        assertThat(new String(written.json(empty).toByteArray(), StandardCharsets.UTF_8))
                .isEqualTo("[]");
        // The copied bytes are what is read back, not merely the same length: a manifest whose sections are not the
        // written ones (another list, equal or not) writes its own.
        MediaSection other = new MediaSection("uploads", List.of(rich.files().get(1)), List.of(), null);
        assertThat(written.json(other)).isNull();
        Manifest mixed = m.withMedia(List.of(other, empty));
        assertThat(ManifestCodec.fromBytes(ManifestCodec.toBytes(mixed, written)))
                .isEqualTo(mixed);
        assertThat(ManifestCodec.fromBytes(ManifestCodec.toBytes(m, written))).isEqualTo(m);
        // The written bytes are what the manifest holds: given another list's JSON for a section, it reads back that.
        written.with(rich.files(), ManifestCodec.filesJson(other.files()).toByteArray());
        assertThat(ManifestCodec.fromBytes(ManifestCodec.toBytes(m, written))
                        .media()
                        .get(0)
                        .files())
                .isEqualTo(other.files());
    }

    @Test
    void aLongListWrittenInPartsIsTheListWrittenAtOnce() throws Exception {
        List<MediaFile> files = new java.util.ArrayList<>();
        for (int i = 0; i < WrittenFiles.SPLIT_AT + 7; i++) {
            Instant t = Instant.ofEpochSecond(1_700_000_000L + i, i);
            files.add(
                    i % 2 == 0
                            ? new MediaFile("d/ä" + i, "media/u/files/d/" + i, i, "0644", t, "h" + i)
                            : new MediaFile(
                                    "d/" + i, "media/u/files/d/" + i, i, "0600", t, "h" + i, "b-0", (long) i, t));
        }
        byte[] whole = ManifestCodec.filesJson(files).toByteArray();
        assertThat(whole.length).isGreaterThan(4 * ChunkedBytes.CHUNK); // the raw copy below spans chunks
        for (int parts : new int[] {1, 2, 3, 8}) {
            assertThat(WrittenFiles.write(files, parts).toByteArray())
                    .as("%d parts", parts)
                    .isEqualTo(whole);
        }
        assertThat(WrittenFiles.write(files.subList(0, 10), 4).toByteArray())
                .isEqualTo(ManifestCodec.filesJson(files.subList(0, 10)).toByteArray());
        // Copied chunk by chunk into a manifest (chunks end inside the two-byte ä too), it is the list written there.
        Manifest m = sample().withMedia(List.of(new MediaSection("u", files, List.of(), List.of(), List.of(), null)));
        assertThat(ManifestCodec.toBytes(m, WrittenFiles.of(m.media()))).isEqualTo(ManifestCodec.toBytes(m));
    }

    @Test
    void mediaSectionsWrittenBeforeDirectoriesAndSymlinksStillRead() throws Exception {
        String old = "{\"format_version\":1,\"media\":[{\"source\":\"u\",\"files\":[],\"warnings\":[\"w\"]}]}";
        MediaSection m = ManifestCodec.fromBytes(old.getBytes(StandardCharsets.UTF_8))
                .media()
                .get(0);
        assertThat(m.directories()).isEmpty();
        assertThat(m.symlinks()).isEmpty();
        assertThat(m.warnings()).containsExactly("w");
    }

    @Test
    void unknownFieldsAreToleratedButNewerFormatVersionsAreNot() throws Exception {
        assertThat(ManifestCodec.fromBytes("{\"format_version\":1,\"backup_id\":\"x\",\"future\":1}"
                                .getBytes(StandardCharsets.UTF_8))
                        .backupId())
                .isEqualTo("x");
        assertThatThrownBy(() -> ManifestCodec.fromBytes("{\"format_version\":4}".getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(CorruptArchiveException.class)
                .hasMessageContaining("format_version 4");
    }

    @Test
    void codecNamesAreLowerCase() {
        assertThat(Codec.fromName("ZSTD")).isEqualTo(Codec.ZSTD);
        assertThat(Codec.GZIP.jsonName()).isEqualTo("gzip");
        assertThat(Codec.NONE.extension()).isEmpty();
        assertThatThrownBy(() -> Codec.fromName("lz4")).hasMessageContaining("zstd, gzip or none");
        assertThatThrownBy(() -> Codec.ZSTD.checkLevel(23)).isInstanceOf(IllegalArgumentException.class);
    }
}
