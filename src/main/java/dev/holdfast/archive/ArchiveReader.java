package dev.holdfast.archive;

import dev.holdfast.archive.VerificationReport.Failure;
import dev.holdfast.archive.VerificationReport.Reason;
import java.io.BufferedInputStream;
import java.io.ByteArrayInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Reads a Holdfast archive: indexes it by scanning headers, checks the manifest against its checksum,
 * streams single entries decompressed and checksum-verified, and verifies the whole archive in one pass.
 * Entry names are checked on the way in and never trusted.
 */
public final class ArchiveReader {
    /** Largest manifest accepted; it is metadata, and a bigger one means a damaged or hostile archive. */
    static final int MAX_MANIFEST = 256 << 20;

    private static final byte[] ZSTD_MAGIC = {0x28, (byte) 0xB5, 0x2F, (byte) 0xFD};

    private final ArchiveSource source;
    private final Map<String, TarScanner.Header> index;
    private final Manifest manifest;
    private final String manifestSha256;

    private ArchiveReader(
            ArchiveSource source, Map<String, TarScanner.Header> index, Manifest manifest, String manifestSha256) {
        this.source = source;
        this.index = index;
        this.manifest = manifest;
        this.manifestSha256 = manifestSha256;
    }

    /** Opens a local archive file. */
    public static ArchiveReader open(Path archive) throws IOException {
        return open(ArchiveSource.of(archive));
    }

    /**
     * Indexes the archive (headers only, data skipped), reads {@code manifest.json} and checks it against
     * {@code manifest.json.sha256}. Throws {@link CorruptArchiveException} when the structure or the
     * manifest is damaged, {@link UnsafeEntryNameException} for a dangerous name.
     */
    public static ArchiveReader open(ArchiveSource source) throws IOException {
        Map<String, TarScanner.Header> index = new LinkedHashMap<>();
        try (InputStream in = source.open(0, source.size())) {
            TarScanner scanner = new TarScanner(in, false);
            TarScanner.Header h;
            while ((h = scanner.next()) != null) {
                EntryNames.requireSafe(h.name());
                if (index.put(h.name(), h) != null) {
                    throw new CorruptArchiveException("entry '" + h.name() + "' appears twice");
                }
            }
        }
        List<String> present =
                EntryNames.manifestNames().stream().filter(index::containsKey).toList();
        if (present.size() > 1) {
            throw new CorruptArchiveException("archive has more than one manifest: " + present);
        }
        String name = present.isEmpty() ? EntryNames.MANIFEST : present.get(0);
        TarScanner.Header mh = index.get(name);
        TarScanner.Header sh = index.get(EntryNames.manifestSum(name));
        if (mh == null || sh == null) {
            throw new CorruptArchiveException(
                    "archive has no " + (mh == null ? "manifest" : EntryNames.manifestSum(name))
                            + "; it is incomplete or not a Holdfast archive");
        }
        byte[] stored = readSmall(source, mh, MAX_MANIFEST);
        byte[] sum = readSmall(source, sh, 4096);
        String actual = Digests.sha256Hex(stored);
        String recorded = recordedManifestSha(sum, name);
        if (!actual.equals(recorded)) {
            throw new CorruptArchiveException(
                    name + " has SHA-256 " + actual + " but " + EntryNames.manifestSum(name) + " says " + recorded);
        }
        byte[] json = manifestJson(name, stored);
        Manifest manifest = ManifestCodec.fromBytes(json);
        for (EntryInfo e : manifest.entries()) {
            EntryNames.requireSafe(e.name());
        }
        return new ArchiveReader(source, Collections.unmodifiableMap(index), manifest, actual);
    }

    /** The manifest, already checked against its checksum. */
    public Manifest manifest() {
        return manifest;
    }

    /** Hex SHA-256 of the manifest bytes. */
    public String manifestSha256() {
        return manifestSha256;
    }

    /** Every entry name in archive order, manifest files included. */
    public List<String> entryNames() {
        return List.copyOf(index.keySet());
    }

    /**
     * Streams one entry decompressed. Its sizes and SHA-256s are checked as it is read: reaching the end
     * of a damaged entry throws {@link CorruptArchiveException} instead of returning end of stream, so a
     * consumer that reads to the end never takes damaged data for good data.
     */
    public InputStream openEntry(String name) throws IOException {
        EntryInfo info = requireEntry(name);
        TarScanner.Header h = index.get(name);
        Digests.DigestingInputStream stored = new Digests.DigestingInputStream(source.open(h.dataOffset(), h.size()));
        if (info.codec() == Codec.NONE) {
            return VerifyingInputStream.storedAsIs(stored, info);
        }
        return new VerifyingInputStream(decompress(stored, info), stored, info);
    }

    /** {@code stored} through {@code info}'s codec; closes it when the codec refuses its start. */
    private static InputStream decompress(InputStream stored, EntryInfo info) throws IOException {
        try {
            return info.codec().decompress(new BufferedInputStream(stored, 64 * 1024));
        } catch (IOException | RuntimeException e) {
            stored.close();
            throw new CorruptArchiveException(
                    "entry '" + info.name() + "' is not a valid " + info.codec().jsonName() + " stream: "
                            + e.getMessage(),
                    e);
        }
    }

    /**
     * Streams one entry decompressed without computing its own SHA-256s: for a reader that checks every part it
     * uses against that part's own SHA-256 (a media pack's members, each recorded in the manifest) and stops at its
     * last part, before the end where {@link #openEntry} would compare the entry's digests. Hashing the whole entry
     * there costs as much CPU as checking the parts, for a comparison that never happens; bytes between the parts
     * (tar headers) are never used. A stream that does not decode still throws {@link CorruptArchiveException}.
     */
    public InputStream openEntryForParts(String name) throws IOException {
        EntryInfo info = requireEntry(name);
        TarScanner.Header h = index.get(name);
        InputStream stored = source.open(h.dataOffset(), h.size());
        if (info.codec() == Codec.NONE) {
            return stored;
        }
        return new DecodingInputStream(decompress(stored, info), info);
    }

    /** Streams one entry's stored (compressed) bytes, e.g. to hand them to {@code zstd -d} or a client. */
    public InputStream openStoredEntry(String name) throws IOException {
        requireEntry(name);
        TarScanner.Header h = index.get(name);
        return source.open(h.dataOffset(), h.size());
    }

    /**
     * Checks one entry's stored bytes (size and SHA-256) against the manifest without decompressing
     * them: what storage or transfer can damage. For an entry stored as is this is also its raw check.
     * The raw checksum of a compressed entry is checked by {@link #openEntry} when it is read to its end.
     *
     * @throws CorruptArchiveException naming the entry when its stored bytes differ from the manifest
     */
    public void checkStored(String name) throws IOException {
        checkStored(name, () -> {});
    }

    /**
     * {@link #checkStored(String)}, calling {@code betweenBuffers} after each buffer read so that a
     * caller can cancel a long check by throwing from it.
     */
    public void checkStored(String name, Runnable betweenBuffers) throws IOException {
        EntryInfo info = requireEntry(name);
        TarScanner.Header h = index.get(name);
        try (Digests.DigestingInputStream stored =
                new Digests.DigestingInputStream(source.open(h.dataOffset(), h.size()))) {
            byte[] buf = new byte[256 * 1024];
            while (stored.read(buf, 0, buf.length) >= 0) {
                betweenBuffers.run();
            }
            String sha = Digests.hex(stored.digest.digest());
            if (stored.count != info.storedSize() || !sha.equals(info.storedSha256())) {
                throw new CorruptArchiveException("entry '" + name + "' stored bytes have SHA-256 " + sha
                        + ", manifest says " + info.storedSha256());
            }
        }
    }

    /** Re-reads the whole archive and compares every byte with the manifest. */
    public VerificationReport verify() throws IOException {
        try (InputStream in = source.open(0, source.size())) {
            return verify(in);
        }
    }

    /** Verifies a local archive file without opening it first, so a damaged one still gets a full report. */
    public static VerificationReport verify(Path archive) throws IOException {
        ArchiveSource s = ArchiveSource.of(archive);
        try (InputStream in = s.open(0, s.size())) {
            return verify(in);
        }
    }

    /**
     * Verifies an archive read once from start to end, e.g. straight from object storage. The manifest
     * comes last, so each entry's stored bytes are hashed and, when they begin like a zstd or gzip stream,
     * decoded and hashed too; the results are compared with the manifest once it arrives. Never throws
     * for damage, only for I/O errors of {@code archive} itself; damage is reported.
     */
    public static VerificationReport verify(InputStream archive) throws IOException {
        return new Verification(true, null).run(archive);
    }

    /**
     * Checks what storage can damage, in one pass without decompressing: the tar structure, every entry's
     * stored size and stored SHA-256, the manifest's own checksum and the set of entries. Right after a
     * write this proves the stored bytes are the ones written (the raw checksums were computed from the
     * very bytes fed to the compressor, and zstd and gzip frames carry their own checksums); the full
     * {@link #verify(InputStream)} also decodes every entry and is what the verify job runs.
     */
    public static VerificationReport verifyStored(InputStream archive) throws IOException {
        return new Verification(false, null).run(archive);
    }

    /**
     * As {@link #verify(InputStream)} ({@code decode}) or {@link #verifyStored(InputStream)}, right after this process
     * wrote the archive: {@code written} is what it wrote, and when the manifest read back has the SHA-256 of the one
     * written ({@link ArchiveSummary#manifestSha256}) it is the same bytes, so the manifest written is used instead of
     * parsing them again (a 20,000-file manifest took 60 ms to parse, a fifth of an incremental backup).
     */
    public static VerificationReport verifyWritten(InputStream archive, boolean decode, ArchiveSummary written)
            throws IOException {
        return new Verification(decode, written).run(archive);
    }

    /** Receives each entry of an archive read as a stream. */
    @FunctionalInterface
    public interface EntryVisitor {
        /**
         * Called once per entry in archive order, manifest files included, with its stored bytes;
         * what is not read is skipped, and closing {@code stored} is harmless.
         */
        void visit(String name, long storedSize, InputStream stored) throws IOException;
    }

    /**
     * Walks an archive read once from start to end (no random access needed), handing each entry's
     * stored bytes to {@code visitor}. Names are checked first; damage stops the walk with
     * {@link CorruptArchiveException}. Integrity against the manifest is what {@link #verify(InputStream)} checks.
     */
    public static void scan(InputStream archive, EntryVisitor visitor) throws IOException {
        TarScanner scanner = new TarScanner(archive, true);
        TarScanner.Header h;
        while ((h = scanner.next()) != null) {
            EntryNames.requireSafe(h.name());
            InputStream data = scanner.data();
            visitor.visit(h.name(), h.size(), new FilterInputStream(data) {
                @Override
                public void close() {
                    // The walk owns the archive stream; the next entry starts where this one ends.
                }
            });
        }
        if (!scanner.problems().isEmpty()) {
            throw new CorruptArchiveException(scanner.problems().get(0).detail());
        }
    }

    private EntryInfo requireEntry(String name) throws IOException {
        Objects.requireNonNull(name, "name");
        EntryInfo info = manifest.entry(name);
        TarScanner.Header h = index.get(name);
        if (info == null || h == null) {
            throw new ArchiveException(
                    "archive has no entry '" + name + "'" + (info == null ? "" : " although the manifest lists it"));
        }
        if (h.size() != info.storedSize()) {
            throw new CorruptArchiveException(
                    "entry '" + name + "' holds " + h.size() + " bytes, manifest says " + info.storedSize());
        }
        return info;
    }

    private static byte[] readSmall(ArchiveSource source, TarScanner.Header h, int limit) throws IOException {
        if (h.size() > limit) {
            throw new CorruptArchiveException(
                    "'" + h.name() + "' is " + h.size() + " bytes, more than the " + limit + " allowed");
        }
        try (InputStream in = source.open(h.dataOffset(), h.size())) {
            return in.readAllBytes();
        }
    }

    /** The hex digest from a {@code sha256sum} line naming {@code manifestName}, or a description of what is wrong. */
    static String recordedManifestSha(byte[] sumFile, String manifestName) {
        String line = new String(sumFile, StandardCharsets.US_ASCII);
        String expectedTail = "  " + manifestName + "\n";
        String malformed = "<malformed " + EntryNames.manifestSum(manifestName) + ">";
        if (line.length() != 64 + expectedTail.length() || !line.endsWith(expectedTail)) {
            return malformed;
        }
        String hex = line.substring(0, 64);
        return hex.matches("[0-9a-f]{64}") ? hex : malformed;
    }

    /**
     * The manifest's JSON from the bytes of entry {@code name} (decompressed by the codec its name says, to at most
     * {@link #MAX_MANIFEST} bytes).
     */
    static byte[] manifestJson(String name, byte[] stored) throws CorruptArchiveException {
        Codec codec = EntryNames.manifestCodec(name);
        if (codec == Codec.NONE) {
            return stored;
        }
        try (InputStream in = codec.decompress(new ByteArrayInputStream(stored))) {
            byte[] json = in.readNBytes(MAX_MANIFEST);
            if (in.read() >= 0) {
                throw new CorruptArchiveException(name + " decompresses to more than " + MAX_MANIFEST + " bytes");
            }
            return json;
        } catch (CorruptArchiveException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            throw new CorruptArchiveException(
                    name + " is not a valid " + codec.jsonName() + " stream: " + e.getMessage(), e);
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

    /** One sequential verification pass. */
    private static final class Verification {
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

        Verification(boolean decode, ArchiveSummary written) {
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
            if (observed.containsKey(h.name())
                    || (isManifest && manifestBytes != null)
                    || (isSum && sumBytes != null)) {
                failures.add(new Failure(
                        h.name(),
                        Reason.DUPLICATE_ENTRY,
                        isManifest || isSum
                                ? "a second manifest or checksum (" + (isManifest ? manifestName : sumName)
                                        + " came first)"
                                : "entry appears more than once"));
            }
            if (isManifest) {
                if (h.size() > MAX_MANIFEST) {
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
                String recorded = recordedManifestSha(sumBytes, manifestName);
                if (!recorded.equals(manifestSha)) {
                    failures.add(new Failure(
                            manifestName,
                            Reason.MANIFEST_CHECKSUM_MISMATCH,
                            manifestName + " has SHA-256 " + manifestSha + " but " + expectedSum + " says "
                                    + recorded));
                }
            }
            if (written != null
                    && written.manifestSha256() != null
                    && written.manifestSha256().equals(manifestSha)) {
                return written.manifest();
            }
            try {
                return ManifestCodec.fromBytes(manifestJson(manifestName, manifestBytes));
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
                    failures.add(
                            new Failure(e.name(), Reason.MISSING_ENTRY, "listed in the manifest, not in the archive"));
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
                            e.name(),
                            Reason.SIZE_MISMATCH,
                            "decompressed size " + raw + ", manifest says " + e.rawSize()));
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
    }
}
