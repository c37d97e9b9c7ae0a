package dev.holdfast.archive;

import dev.holdfast.archive.VerificationReport.Failure;
import dev.holdfast.archive.VerificationReport.Reason;
import java.io.BufferedInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One sequential verification pass over an archive read from start to end ({@link ArchiveReader#verify(InputStream)}
 * and its kin): hashes (and decodes) every entry as it passes, then compares all of it with the manifest, which comes
 * last. A class of its own because it holds the pass's state; {@link ArchiveReader} is random access.
 */
final class ArchiveVerification {
    private static final byte[] ZSTD_MAGIC = {0x28, (byte) 0xB5, 0x2F, (byte) 0xFD};

    private final List<Failure> failures = new ArrayList<>();
    private final Map<String, Observed> observed = new LinkedHashMap<>();
    // Index in failures of each damaged-header failure, and the header's offset.
    private final Map<Integer, Long> damagedHeaders = new LinkedHashMap<>();
    private byte[] manifestBytes;
    private String manifestName;
    private byte[] sumBytes;
    private String sumName;
    private long storedBytes;
    private final boolean decode;
    private final ArchiveSummary written;

    ArchiveVerification(boolean decode, ArchiveSummary written) {
        this.decode = decode;
        this.written = written;
    }

    VerificationReport run(InputStream archive) throws IOException {
        TarScanner scanner = new TarScanner(archive, true);
        while (true) {
            TarScanner.Header h;
            try {
                h = scanner.next();
            } catch (TarScanner.HeaderException e) {
                damagedHeaders.put(failures.size(), e.offset);
                failures.add(new Failure(null, Reason.CORRUPT_TAR, e.getMessage()));
                continue;
            } catch (CorruptArchiveException e) {
                failures.add(new Failure(null, Reason.CORRUPT_TAR, e.getMessage()));
                break;
            }
            if (h == null) {
                break;
            }
            try {
                EntryNames.requireSafe(h.name());
            } catch (UnsafeEntryNameException e) {
                failures.add(new Failure(h.name(), Reason.UNSAFE_ENTRY_NAME, e.getMessage()));
            }
            try {
                readEntry(h, scanner.data());
            } catch (CorruptArchiveException e) {
                failures.add(new Failure(h.name(), Reason.CORRUPT_TAR, e.getMessage()));
                break;
            }
        }
        for (TarScanner.Problem p : scanner.problems()) {
            failures.add(new Failure(p.entry(), Reason.CORRUPT_TAR, p.detail()));
        }
        String manifestSha = manifestBytes == null ? null : Digests.sha256Hex(manifestBytes);
        Manifest manifest = checkManifest(manifestSha);
        long rawBytes = 0;
        if (manifest != null) {
            rawBytes = compare(manifest);
            nameDamagedHeaders(manifest);
        }
        return new VerificationReport(
                failures.isEmpty(), observed.size(), storedBytes, rawBytes, manifestSha, failures);
    }

    private void readEntry(TarScanner.Header h, InputStream data) throws IOException {
        storedBytes += h.size();
        boolean isManifest = EntryNames.manifestCodec(h.name()) != null;
        boolean isSum = !isManifest && EntryNames.isManifestFile(h.name());
        if (observed.containsKey(h.name()) || (isManifest && manifestBytes != null) || (isSum && sumBytes != null)) {
            failures.add(new Failure(
                    h.name(),
                    Reason.DUPLICATE_ENTRY,
                    isManifest || isSum
                            ? "a second manifest or checksum (" + (isManifest ? manifestName : sumName) + " came first)"
                            : "entry appears more than once"));
        }
        if (isManifest) {
            if (h.size() > ArchiveReader.MAX_MANIFEST) {
                failures.add(new Failure(h.name(), Reason.INVALID_MANIFEST, "manifest is " + h.size() + " bytes"));
                return;
            }
            if (manifestBytes == null) {
                manifestBytes = data.readAllBytes();
                manifestName = h.name();
            }
            return;
        }
        if (isSum) {
            if (sumBytes == null) {
                sumBytes = data.readNBytes(4096);
                sumName = h.name();
            }
            return;
        }
        Digests.DigestingInputStream stored = new Digests.DigestingInputStream(data);
        BufferedInputStream buffered = new BufferedInputStream(stored, 64 * 1024);
        buffered.mark(4);
        byte[] magic = buffered.readNBytes(4);
        buffered.reset();
        Codec guess = null;
        if (!decode) {
            guess = null;
        } else if (java.util.Arrays.equals(magic, ZSTD_MAGIC)) {
            guess = Codec.ZSTD;
        } else if (magic.length >= 2 && magic[0] == 0x1f && magic[1] == (byte) 0x8b) {
            guess = Codec.GZIP;
        }
        long rawSize = -1;
        String rawSha = null;
        String error = null;
        if (guess != null) {
            // Closed at once: zstd's decoder holds native memory that only close() frees.
            try (Digests.DigestingInputStream raw =
                    new Digests.DigestingInputStream(guess.decompress(new FilterInputStream(buffered) {
                        @Override
                        public void close() {
                            // The scanner owns the entry stream.
                        }
                    }))) {
                Digests.drain(raw);
                rawSize = raw.count;
                rawSha = Digests.hex(raw.digest.digest());
            } catch (CorruptArchiveException e) {
                throw e;
            } catch (IOException | RuntimeException e) {
                error = e.getClass().getSimpleName() + ": " + e.getMessage();
            }
        }
        Digests.drain(buffered);
        observed.put(
                h.name(),
                new Observed(
                        h.name(),
                        h.dataOffset(),
                        stored.count,
                        Digests.hex(stored.digest.digest()),
                        guess,
                        rawSize,
                        rawSha,
                        error));
    }

    private Manifest checkManifest(String manifestSha) {
        if (manifestBytes == null) {
            failures.add(new Failure(
                    EntryNames.MANIFEST,
                    Reason.MISSING_ENTRY,
                    "the archive has no manifest; it is incomplete or not a Holdfast archive"));
            return null;
        }
        String expectedSum = EntryNames.manifestSum(manifestName);
        if (sumBytes == null || !sumName.equals(expectedSum)) {
            failures.add(new Failure(
                    expectedSum,
                    Reason.MISSING_ENTRY,
                    "the manifest's checksum is missing"
                            + (sumBytes == null ? "" : " (the archive has " + sumName + " instead)")));
        } else {
            String recorded = ArchiveReader.recordedManifestSha(sumBytes, manifestName);
            if (!recorded.equals(manifestSha)) {
                failures.add(new Failure(
                        manifestName,
                        Reason.MANIFEST_CHECKSUM_MISMATCH,
                        manifestName + " has SHA-256 " + manifestSha + " but " + expectedSum + " says " + recorded));
            }
        }
        if (written != null
                && written.manifestSha256() != null
                && written.manifestSha256().equals(manifestSha)) {
            return written.manifest();
        }
        try {
            return ManifestCodec.fromBytes(ArchiveReader.manifestJson(manifestName, manifestBytes));
        } catch (CorruptArchiveException e) {
            failures.add(new Failure(manifestName, Reason.INVALID_MANIFEST, e.getMessage()));
            return null;
        }
    }

    private long compare(Manifest manifest) {
        long rawBytes = 0;
        for (EntryInfo e : manifest.entries()) {
            Observed o = observed.get(e.name());
            if (o == null) {
                failures.add(new Failure(e.name(), Reason.MISSING_ENTRY, "listed in the manifest, not in the archive"));
                continue;
            }
            if (o.offset() != e.offset()) {
                failures.add(new Failure(
                        e.name(),
                        Reason.OFFSET_MISMATCH,
                        "data at offset " + o.offset() + ", manifest says " + e.offset()));
            }
            if (o.storedSize() != e.storedSize()) {
                failures.add(new Failure(
                        e.name(),
                        Reason.SIZE_MISMATCH,
                        "stored size " + o.storedSize() + ", manifest says " + e.storedSize()));
            } else if (!o.storedSha().equals(e.storedSha256())) {
                failures.add(new Failure(
                        e.name(),
                        Reason.CHECKSUM_MISMATCH,
                        "stored bytes have SHA-256 " + o.storedSha() + ", manifest says " + e.storedSha256()));
            }
            long raw;
            String rawSha;
            if (!decode) {
                rawBytes += e.rawSize();
                continue;
            }
            if (e.codec() == Codec.NONE) {
                raw = o.storedSize();
                rawSha = o.storedSha();
            } else if (o.decodedAs() != e.codec()) {
                failures.add(new Failure(
                        e.name(),
                        Reason.CORRUPT_COMPRESSED_STREAM,
                        "does not start with a " + e.codec().jsonName() + " header"));
                continue;
            } else if (o.decodeError() != null) {
                failures.add(new Failure(e.name(), Reason.CORRUPT_COMPRESSED_STREAM, o.decodeError()));
                continue;
            } else {
                raw = o.rawSize();
                rawSha = o.rawSha();
            }
            rawBytes += raw;
            if (raw != e.rawSize()) {
                failures.add(new Failure(
                        e.name(), Reason.SIZE_MISMATCH, "decompressed size " + raw + ", manifest says " + e.rawSize()));
            } else if (!rawSha.equals(e.sha256())) {
                failures.add(new Failure(
                        e.name(),
                        Reason.CHECKSUM_MISMATCH,
                        "decompressed bytes have SHA-256 " + rawSha + ", manifest says " + e.sha256()));
            }
        }
        for (Observed o : observed.values()) {
            if (manifest.entry(o.name()) == null) {
                failures.add(new Failure(
                        o.name(),
                        Reason.UNEXPECTED_ENTRY,
                        "in the archive at offset " + o.offset() + " but not in the manifest"));
            }
        }
        return rawBytes;
    }

    /** Attributes each damaged header to the entry the manifest places right after it. */
    private void nameDamagedHeaders(Manifest manifest) {
        if (damagedHeaders.isEmpty()) {
            return;
        }
        List<EntryInfo> byOffset = new ArrayList<>(manifest.entries());
        byOffset.sort(Comparator.comparingLong(EntryInfo::offset));
        for (Map.Entry<Integer, Long> d : damagedHeaders.entrySet()) {
            long offset = d.getValue();
            Failure f = failures.get(d.getKey());
            String owner = byOffset.stream()
                    .filter(e -> e.offset() > offset)
                    .findFirst()
                    .map(EntryInfo::name)
                    .orElse(manifestName != null ? manifestName : EntryNames.MANIFEST);
            failures.set(
                    d.getKey(),
                    new Failure(owner, Reason.CORRUPT_TAR, f.detail() + " (header of entry '" + owner + "')"));
        }
    }

    /** What one pass saw of an entry. */
    private record Observed(
            String name,
            long offset,
            long storedSize,
            String storedSha,
            Codec decodedAs,
            long rawSize,
            String rawSha,
            String decodeError) {}
}
