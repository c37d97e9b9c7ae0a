package dev.holdfast.restore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.holdfast.backup.BackupOptions;
import dev.holdfast.backup.BackupResult;
import dev.holdfast.backup.BackupRun;
import dev.holdfast.backup.BackupType;
import dev.holdfast.crypto.AgeRecipient;
import dev.holdfast.job.StopSignal;
import dev.holdfast.pg.ConnectionFactory;
import dev.holdfast.pg.CopyStreamer;
import dev.holdfast.pg.PgConnectionInfo;
import dev.holdfast.pg.PgTools;
import dev.holdfast.storage.ArchiveStorage;
import dev.holdfast.storage.S3ArchiveStorage;
import dev.holdfast.storage.WritableArchive;
import dev.holdfast.support.AppDatabase;
import dev.holdfast.support.S3Server;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * The backup engine on S3 storage, which cannot read an archive back before it is published: the check then reads
 * the published object back from the bucket, and a byte that differs from what was sent fails the backup.
 */
class EnginesOnS3Test {
    @TempDir
    Path dir;

    BackupRun backupRun(ArchiveStorage storage, PgConnectionInfo app) throws Exception {
        return backupRun(storage, app, List.of());
    }

    BackupRun backupRun(ArchiveStorage storage, PgConnectionInfo app, List<AgeRecipient> encryptTo) throws Exception {
        BackupRun.Settings settings = new BackupRun.Settings(
                Files.createDirectories(dir.resolve("spool")),
                Long.MAX_VALUE,
                OptionalInt.empty(),
                ConnectionFactory.driverManager(),
                PgTools.locate(Optional.empty()),
                2,
                Duration.ofSeconds(10),
                CopyStreamer.Format.BINARY,
                BackupRun.PostWriteCheck.STORED,
                java.time.Clock.systemUTC(),
                encryptTo);
        return new BackupRun(storage, settings, new BackupRun.Sources() {
            @Override
            public PgConnectionInfo database(String name) {
                return "app".equals(name) ? app : null;
            }

            @Override
            public BackupRun.MediaRoot media(String name) {
                return null;
            }
        });
    }

    static BackupRun.Request request(String key) {
        return new BackupRun.Request(
                UUID.randomUUID(),
                key,
                BackupType.DATABASE,
                key,
                List.of("app"),
                List.of(),
                new BackupOptions("zstd", null, null, null, null, null, null, null, null));
    }

    @Test
    void theArchiveIsReadBackFromTheBucketAfterPublishingAndADifferingByteFailsTheBackup() throws Exception {
        S3Server server = S3Server.get();
        String bucket = server.newBucket("engine");
        try (RestoreTestDb source = RestoreTestDb.create();
                S3Client raw = server.client();
                S3ArchiveStorage s3 = new S3ArchiveStorage(
                        server.client(),
                        new S3ArchiveStorage.Settings(
                                bucket, "hf", S3ArchiveStorage.MIN_PART_SIZE, server.endpoint()))) {
            AppDatabase.load(source.name);

            BackupResult ok = backupRun(s3, source.info).run(request("good.tar"), p -> {}, StopSignal.never());
            byte[] stored = raw.getObjectAsBytes(b -> b.bucket(bucket).key("hf/good.tar"))
                    .asByteArray();
            assertThat(ok.archive().archiveSha256())
                    .isEqualTo(HexFormat.of()
                            .formatHex(MessageDigest.getInstance("SHA-256").digest(stored)));
            assertThat(ok.archive().archiveBytes()).isEqualTo(stored.length);

            // The last byte (end-of-archive padding, covered by no entry's checksum): only the comparison of the
            // read-back SHA-256 with the sent one can see it.
            ArchiveStorage flipsLastByte = new FlippingStorage(s3);
            assertThatThrownBy(() ->
                            backupRun(flipsLastByte, source.info).run(request("bad.tar"), p -> {}, StopSignal.never()))
                    .hasMessageContaining("failed verification")
                    .hasMessageContaining("archive SHA-256 is");
            // Published, as a multipart upload must be before it can be read: the failed backup's handling
            // (BackupService.fail) deletes it, as it deletes any failed backup's archive.
            assertThat(s3.exists("bad.tar")).isTrue();
        }
    }

    @Test
    void anEncryptedArchiveIsCheckedByTheSha256OfItsStoredBytesAndADifferingByteFailsTheBackup() throws Exception {
        S3Server server = S3Server.get();
        String bucket = server.newBucket("engine-age");
        List<AgeRecipient> to = List.of(
                AgeRecipient.parse("age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p", "test recipient"));
        try (RestoreTestDb source = RestoreTestDb.create();
                S3Client raw = server.client();
                S3ArchiveStorage s3 = new S3ArchiveStorage(
                        server.client(),
                        new S3ArchiveStorage.Settings(
                                bucket, "hf", S3ArchiveStorage.MIN_PART_SIZE, server.endpoint()))) {
            AppDatabase.load(source.name);

            BackupResult ok = backupRun(s3, source.info, to).run(request("good.tar.age"), p -> {}, StopSignal.never());
            byte[] stored = raw.getObjectAsBytes(b -> b.bucket(bucket).key("hf/good.tar.age"))
                    .asByteArray();
            assertThat(new String(stored, 0, 21, java.nio.charset.StandardCharsets.US_ASCII))
                    .isEqualTo("age-encryption.org/v1");
            assertThat(ok.archive().archiveSha256())
                    .isEqualTo(HexFormat.of()
                            .formatHex(MessageDigest.getInstance("SHA-256").digest(stored)));
            assertThat(ok.verified()).as("STORED does not decrypt").isFalse();

            // Any byte of the last chunk's tag: STORED compares digests, so a change anywhere fails the backup.
            assertThatThrownBy(() -> backupRun(new FlippingStorage(s3), source.info, to)
                            .run(request("bad.tar.age"), p -> {}, StopSignal.never()))
                    .hasMessageContaining("failed verification")
                    .hasMessageContaining("archive SHA-256 is");
        }
    }

    /** Storage whose ranged reads of a whole archive return its last byte flipped, as a damaged store might. */
    static final class FlippingStorage implements ArchiveStorage {
        final ArchiveStorage d;

        FlippingStorage(ArchiveStorage d) {
            this.d = d;
        }

        @Override
        public WritableArchive create(String key) throws IOException {
            return d.create(key);
        }

        @Override
        public InputStream open(String key) throws IOException {
            return open(key, 0, size(key));
        }

        @Override
        public InputStream open(String key, long offset, long length) throws IOException {
            long last = d.size(key) - 1;
            return new FilterInputStream(d.open(key, offset, length)) {
                long pos = offset;

                @Override
                public int read() throws IOException {
                    byte[] one = new byte[1];
                    return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
                }

                @Override
                public int read(byte[] b, int off, int len) throws IOException {
                    int n = super.read(b, off, len);
                    if (n > 0 && pos <= last && last < pos + n) {
                        b[off + (int) (last - pos)] ^= 1;
                    }
                    pos += Math.max(n, 0);
                    return n;
                }
            };
        }

        @Override
        public long size(String key) throws IOException {
            return d.size(key);
        }

        @Override
        public boolean exists(String key) throws IOException {
            return d.exists(key);
        }

        @Override
        public void delete(String key) throws IOException {
            d.delete(key);
        }

        @Override
        public List<String> keys() throws IOException {
            return d.keys();
        }

        @Override
        public long usedBytes() throws IOException {
            return d.usedBytes();
        }

        @Override
        public OptionalLong freeBytes() throws IOException {
            return d.freeBytes();
        }

        @Override
        public void discardPartial(String key) throws IOException {
            d.discardPartial(key);
        }
    }
}
