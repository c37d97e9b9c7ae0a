package dev.holdfast.archive;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.holdfast.archive.VerificationReport.Reason;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.junit.jupiter.api.Test;

/**
 * Every damage test of {@link CorruptionDetectionTest} again with the manifest as backups store it (zstd), plus what
 * only a compressed manifest can have wrong: a checksum that matches a stream that does not decode, two manifests.
 */
class CompressedManifestCorruptionTest extends CorruptionDetectionTest {
    @Override
    Codec manifestCodec() {
        return Codec.ZSTD;
    }

    @Test
    void theManifestIsStoredCompressedUnderItsOwnName() throws IOException {
        ArchiveReader reader = ArchiveReader.open(archive);
        assertThat(reader.entryNames()).endsWith("manifest.json.zst", "manifest.json.zst.sha256");
        assertThat(reader.manifest()).isEqualTo(summary.manifest());
        assertThat(reader.manifestSha256()).isEqualTo(summary.manifestSha256());
        int at = manifestData();
        assertThat(java.util.Arrays.copyOfRange(pristine, at, at + 4)).containsExactly(0x28, 0xB5, 0x2F, 0xFD);
    }

    @Test
    void aManifestThatMatchesItsChecksumButDoesNotDecodeIsInvalid() throws IOException {
        // A writer that compressed garbage (or a hostile archive): the checksum holds, the content is not a manifest.
        byte[] notZstd = "this is not a zstd frame".getBytes(StandardCharsets.US_ASCII);
        Path p = foreign(
                "manifest.json.zst", notZstd, sumLine(notZstd, "manifest.json.zst"), "manifest.json.zst.sha256");
        assertThatThrownBy(() -> ArchiveReader.open(p))
                .isInstanceOf(CorruptArchiveException.class)
                .hasMessageContaining("manifest.json.zst is not a valid zstd stream");
        assertThat(ArchiveReader.verify(p).failures())
                .extracting(VerificationReport.Failure::entry, VerificationReport.Failure::reason)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("manifest.json.zst", Reason.INVALID_MANIFEST));
    }

    @Test
    void aChecksumNamingAnotherManifestOrASecondManifestIsRefused() throws IOException {
        byte[] json = "{}".getBytes(StandardCharsets.US_ASCII);
        ByteArrayOutputStream z = new ByteArrayOutputStream();
        try (OutputStream c = Codec.ZSTD.compress(z, 1)) {
            c.write(json);
        }
        // manifest.json.zst with a checksum entry for manifest.json
        Path mismatched = foreign(
                "manifest.json.zst",
                z.toByteArray(),
                sumLine(z.toByteArray(), "manifest.json"),
                "manifest.json.sha256");
        assertThatThrownBy(() -> ArchiveReader.open(mismatched))
                .isInstanceOf(CorruptArchiveException.class)
                .hasMessageContaining("manifest.json.zst.sha256");
        assertThat(ArchiveReader.verify(mismatched).failures())
                .anySatisfy(f -> assertThat(f.entry()).isEqualTo("manifest.json.zst.sha256"));
        // both manifest.json and manifest.json.zst: which one is the truth is not for a reader to pick
        Path two = dir.resolve("two.tar");
        try (OutputStream out = Files.newOutputStream(two);
                TarArchiveOutputStream tar = new TarArchiveOutputStream(out, 512, "UTF-8")) {
            put(tar, "manifest.json", json);
            put(tar, "manifest.json.zst", z.toByteArray());
            put(tar, "manifest.json.zst.sha256", sumLine(z.toByteArray(), "manifest.json.zst"));
        }
        assertThatThrownBy(() -> ArchiveReader.open(two))
                .isInstanceOf(CorruptArchiveException.class)
                .hasMessageContaining("more than one manifest");
        assertThat(ArchiveReader.verify(two).failures())
                .extracting(VerificationReport.Failure::reason)
                .contains(Reason.DUPLICATE_ENTRY);
    }

    @Test
    void noEntryMayTakeAManifestName() throws IOException {
        try (ArchiveWriter w =
                new ArchiveWriter(OutputStream.nullOutputStream(), ArchiveWriter.Options.defaults(dir, 1L << 30))) {
            for (String name : new String[] {
                "manifest.json.zst", "manifest.json.gz", "manifest.json.zst.sha256", "manifest.json.gz.sha256"
            }) {
                assertThatThrownBy(() -> w.openEntry(name, EntryInfo.KIND_OTHER, Codec.NONE))
                        .as(name)
                        .isInstanceOf(IllegalArgumentException.class)
                        .hasMessageContaining("reserved for the manifest");
            }
        }
    }

    private Path foreign(String manifestName, byte[] manifestBytes, byte[] sum, String sumName) throws IOException {
        Path p = dir.resolve("foreign.tar");
        try (OutputStream out = Files.newOutputStream(p);
                TarArchiveOutputStream tar = new TarArchiveOutputStream(out, 512, "UTF-8")) {
            put(tar, manifestName, manifestBytes);
            put(tar, sumName, sum);
        }
        return p;
    }

    private static byte[] sumLine(byte[] data, String name) {
        return (Digests.sha256Hex(data) + "  " + name + "\n").getBytes(StandardCharsets.US_ASCII);
    }

    private static void put(TarArchiveOutputStream tar, String name, byte[] data) throws IOException {
        TarArchiveEntry e = new TarArchiveEntry(name);
        e.setSize(data.length);
        e.setModTime(Instant.EPOCH.toEpochMilli());
        tar.putArchiveEntry(e);
        tar.write(data);
        tar.closeArchiveEntry();
    }
}
