package dev.holdfast.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.holdfast.support.S3Server;
import java.io.IOException;
import java.io.InputStream;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.NoSuchFileException;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.MultipartUpload;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;

/**
 * {@link S3ArchiveStorage} against a real S3 server (s3proxy, out of process). What it stored is checked with a
 * plain SDK client that does not go through Holdfast's code.
 */
class S3ArchiveStorageTest {
    static final int MIB = 1024 * 1024;
    static final String PREFIX = "holdfast/";

    S3Server server;
    S3Client raw;
    String bucket;
    S3ArchiveStorage storage;

    @BeforeEach
    void bucket() {
        server = S3Server.get();
        raw = server.client();
        bucket = server.newBucket("unit");
        storage = storage(bucket, "holdfast", 5 * MIB);
    }

    @AfterEach
    void close() {
        storage.close();
        raw.close();
    }

    S3ArchiveStorage storage(String bucket, String prefix, long partSize) {
        return new S3ArchiveStorage(
                server.client(), new S3ArchiveStorage.Settings(bucket, prefix, partSize, server.endpoint()));
    }

    static byte[] random(int size, long seed) {
        byte[] b = new byte[size];
        new Random(seed).nextBytes(b);
        return b;
    }

    static String sha256(byte[] b) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
    }

    byte[] rawObject(String key) {
        return raw.getObjectAsBytes(b -> b.bucket(bucket).key(key)).asByteArray();
    }

    boolean rawExists(String key) {
        try {
            raw.headObject(b -> b.bucket(bucket).key(key));
            return true;
        } catch (NoSuchKeyException e) {
            return false;
        }
    }

    List<MultipartUpload> rawUploads() {
        return raw.listMultipartUploads(b -> b.bucket(bucket)).uploads();
    }

    @Test
    void aSmallArchiveIsInvisibleUntilCommitThenReadableWholeAndByRange() throws Exception {
        byte[] data = "hello archive".getBytes(StandardCharsets.UTF_8);
        try (WritableArchive w = storage.create("b-1.tar")) {
            w.stream().write(data);
            assertThat(w.bytesWritten()).isEqualTo(data.length);
            assertThat(w.readBack()).as("uncommitted data cannot be read back").isEmpty();
            assertThat(rawExists(PREFIX + "b-1.tar"))
                    .as("invisible before commit")
                    .isFalse();
            assertThat(storage.exists("b-1.tar")).isFalse();
            w.commit();
            assertThat(w.sha256()).contains(sha256(data));
        }
        assertThat(rawObject(PREFIX + "b-1.tar")).isEqualTo(data);
        assertThat(rawUploads()).isEmpty();
        assertThat(storage.exists("b-1.tar")).isTrue();
        assertThat(storage.size("b-1.tar")).isEqualTo(data.length);
        assertThat(storage.usedBytes()).isEqualTo(data.length);
        assertThat(storage.freeBytes()).isEmpty();
        assertThat(storage.capacityBytes()).isEmpty();
        try (InputStream in = storage.open("b-1.tar")) {
            assertThat(in.readAllBytes()).isEqualTo(data);
        }
        try (InputStream in = storage.open("b-1.tar", 6, 7)) {
            assertThat(new String(in.readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("archive");
        }
        try (InputStream in = storage.open("b-1.tar", 13, 0)) {
            assertThat(in.read()).isEqualTo(-1);
        }
        assertThatThrownBy(() -> storage.open("b-1.tar", 10, 10)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> storage.open("b-1.tar", 20, 1)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aLargeArchiveIsUploadedInPartsAndAppearsOnlyWhenTheUploadCompletes() throws Exception {
        byte[] data = random(12 * MIB + 12345, 1);
        try (WritableArchive w = storage.create("big.tar")) {
            // Odd-sized writes, as the tar writer makes them.
            for (int off = 0; off < data.length; off += 70_001) {
                w.stream().write(data, off, Math.min(70_001, data.length - off));
            }
            List<MultipartUpload> uploads = rawUploads();
            assertThat(uploads).extracting(MultipartUpload::key).containsExactly(PREFIX + "big.tar");
            assertThat(rawExists(PREFIX + "big.tar"))
                    .as("nothing visible while parts upload")
                    .isFalse();
            w.commit();
            assertThat(w.sha256()).contains(sha256(data));
        }
        byte[] stored = rawObject(PREFIX + "big.tar");
        assertThat(stored.length).isEqualTo(data.length);
        assertThat(sha256(stored)).isEqualTo(sha256(data));
        assertThat(rawUploads()).isEmpty();
        // A range across the first part boundary, and the tail.
        int from = 5 * MIB - 100;
        try (InputStream in = storage.open("big.tar", from, 200)) {
            assertThat(in.readAllBytes()).isEqualTo(Arrays.copyOfRange(data, from, from + 200));
        }
        try (InputStream in = storage.open("big.tar", data.length - 10, 10)) {
            assertThat(in.readAllBytes()).isEqualTo(Arrays.copyOfRange(data, data.length - 10, data.length));
        }
        // Closing a long range early must not read the rest.
        try (InputStream in = storage.open("big.tar", 0, data.length)) {
            assertThat(in.readNBytes(10)).isEqualTo(Arrays.copyOf(data, 10));
        }
    }

    @Test
    void anExistingArchiveIsNeverOverwritten() throws Exception {
        byte[] first = "first".getBytes(StandardCharsets.UTF_8);
        try (WritableArchive w = storage.create("k.tar")) {
            w.stream().write(first);
            w.commit();
        }
        assertThatThrownBy(() -> storage.create("k.tar")).isInstanceOf(FileAlreadyExistsException.class);

        // Two writers that both started before either published: the second one loses, for a single PUT ...
        WritableArchive a = storage.create("race.tar");
        WritableArchive b = storage.create("race.tar");
        a.stream().write(first);
        a.commit();
        b.stream().write("second".getBytes(StandardCharsets.UTF_8));
        assertThatThrownBy(b::commit).isInstanceOf(FileAlreadyExistsException.class);
        assertThat(rawObject(PREFIX + "race.tar")).isEqualTo(first);

        // ... and for a multipart upload, whose abandoned upload is aborted.
        byte[] big = random(6 * MIB, 2);
        WritableArchive c = storage.create("race2.tar");
        WritableArchive d = storage.create("race2.tar");
        c.stream().write(big);
        d.stream().write(random(6 * MIB, 3));
        c.commit();
        assertThatThrownBy(d::commit).isInstanceOf(FileAlreadyExistsException.class);
        assertThat(sha256(rawObject(PREFIX + "race2.tar"))).isEqualTo(sha256(big));
        assertThat(rawUploads()).isEmpty();
    }

    @Test
    void theStoreRefusesAConditionalPutOverAnExistingObject() {
        // The atomic guarantee itself (the HeadObject before completing only narrows the window): If-None-Match.
        raw.putObject(b -> b.bucket(bucket).key("x"), RequestBody.fromString("one"));
        assertThatThrownBy(() ->
                        raw.putObject(b -> b.bucket(bucket).key("x").ifNoneMatch("*"), RequestBody.fromString("two")))
                .hasMessageContaining("412");
        assertThat(new String(rawObject("x"), StandardCharsets.UTF_8)).isEqualTo("one");
        String id = startUpload("x");
        String etag = raw.listParts(b -> b.bucket(bucket).key("x").uploadId(id))
                .parts()
                .get(0)
                .eTag();
        assertThatThrownBy(() -> raw.completeMultipartUpload(b -> b.bucket(bucket)
                        .key("x")
                        .uploadId(id)
                        .ifNoneMatch("*")
                        .multipartUpload(m -> m.parts(p -> p.partNumber(1).eTag(etag)))))
                .hasMessageContaining("412");
        assertThat(new String(rawObject("x"), StandardCharsets.UTF_8)).isEqualTo("one");
    }

    @Test
    void abortAndCloseWithoutCommitLeaveNothingInTheBucket() throws Exception {
        try (WritableArchive w = storage.create("a.tar")) {
            w.stream().write(random(11 * MIB, 4));
            assertThat(rawUploads()).hasSize(1);
            w.abort();
            w.abort();
            assertThatThrownBy(w::commit).isInstanceOf(IllegalStateException.class);
        }
        try (WritableArchive w = storage.create("b.tar")) {
            w.stream().write(random(6 * MIB, 5));
        }
        try (WritableArchive w = storage.create("c.tar")) {
            w.stream().write(new byte[10]);
        }
        assertThat(rawUploads()).isEmpty();
        assertThat(raw.listObjectsV2(b -> b.bucket(bucket)).contents()).isEmpty();
        assertThat(storage.keys()).isEmpty();
    }

    @Test
    void discardPartialAbortsTheUploadAKilledWriterLeftForThatKeyOnly() {
        String left = startUpload(PREFIX + "dead.tar");
        String other = startUpload(PREFIX + "dead.tar2");
        assertThat(rawUploads()).hasSize(2);
        assertThatNoException(() -> storage.discardPartial("dead.tar"));
        assertThat(rawUploads())
                .extracting(MultipartUpload::uploadId)
                .containsExactly(other)
                .doesNotContain(left);
        assertThatNoException(() -> storage.discardPartial("never-started.tar"));
    }

    @Test
    void theSweepAbortsUploadsOlderThanTheAgeUnderThePrefixOnly() throws Exception {
        startUpload(PREFIX + "killed.tar");
        String outside = startUpload("elsewhere/killed.tar");
        assertThat(storage.sweepStaleUploads(Duration.ofHours(1)))
                .as("a fresh upload may belong to a live writer")
                .isZero();
        assertThat(rawUploads()).hasSize(2);
        assertThat(storage.sweepStaleUploads(Duration.ZERO)).isEqualTo(1);
        assertThat(rawUploads()).extracting(MultipartUpload::uploadId).containsExactly(outside);
    }

    /** A multipart upload with one part, started with the raw SDK: what an instance killed mid-backup leaves. */
    String startUpload(String key) {
        String id = raw.createMultipartUpload(b -> b.bucket(bucket).key(key)).uploadId();
        raw.uploadPart(
                b -> b.bucket(bucket).key(key).uploadId(id).partNumber(1), RequestBody.fromBytes(random(1000, 6)));
        return id;
    }

    @Test
    void keysAreTheArchivesUnderThePrefixAcrossListingPagesAndNothingElse() throws Exception {
        // More than one listing page (1000 keys), written in parallel to keep the test short.
        IntStream.range(0, 1003)
                .parallel()
                .forEach(i -> raw.putObject(
                        b -> b.bucket(bucket).key(PREFIX + String.format("b-%04d.tar", i)),
                        RequestBody.fromString("x")));
        raw.putObject(b -> b.bucket(bucket).key(PREFIX + "sub/nested.tar"), RequestBody.fromString("no"));
        raw.putObject(b -> b.bucket(bucket).key(PREFIX + ".hidden"), RequestBody.fromString("no"));
        raw.putObject(b -> b.bucket(bucket).key("other/b-0000.tar"), RequestBody.fromString("no"));
        raw.putObject(b -> b.bucket(bucket).key("holdfast-not-the-prefix.tar"), RequestBody.fromString("no"));
        List<String> keys = storage.keys();
        assertThat(keys)
                .hasSize(1003)
                .startsWith("b-0000.tar")
                .endsWith("b-1002.tar")
                .isSorted();
        assertThat(storage.usedBytes()).isEqualTo(1003);
        storage.delete("b-0000.tar");
        assertThat(rawExists(PREFIX + "b-0000.tar")).isFalse();
        storage.delete("b-0000.tar");
        assertThat(storage.keys()).hasSize(1002);
    }

    @Test
    void missingArchivesAreNoSuchFileAndBadKeysAreRefused() {
        assertThatThrownBy(() -> storage.open("none.tar")).isInstanceOf(NoSuchFileException.class);
        assertThatThrownBy(() -> storage.open("none.tar", 0, 5)).isInstanceOf(NoSuchFileException.class);
        assertThatThrownBy(() -> storage.size("none.tar")).isInstanceOf(NoSuchFileException.class);
        for (String bad : List.of("../x", "a/b", ".hidden", "", "x..y")) {
            assertThatThrownBy(() -> storage.create(bad)).isInstanceOf(InvalidArchiveKeyException.class);
            assertThatThrownBy(() -> storage.open(bad)).isInstanceOf(InvalidArchiveKeyException.class);
        }
    }

    @Test
    void withoutAPrefixArchivesLiveAtTheTopOfTheBucket() throws Exception {
        try (S3ArchiveStorage top = storage(bucket, "", 5 * MIB);
                WritableArchive w = top.create("t.tar")) {
            w.stream().write(1);
            w.commit();
            assertThat(top.keys()).containsExactly("t.tar");
        }
        assertThat(rawObject("t.tar")).containsExactly(1);
        assertThat(storage.keys()).as("not under holdfast/").isEmpty();
    }

    @Test
    void failuresSayWhatIsWrongAndNeverShowTheSecret() throws Exception {
        try (S3ArchiveStorage missing = storage("no-such-bucket-" + System.nanoTime(), "", 5 * MIB)) {
            assertThatThrownBy(missing::probe)
                    .hasMessageContaining("does not exist")
                    .hasMessageContaining("no-such-bucket");
        }
        String wrong = "wrong-secret-" + System.nanoTime();
        try (S3ArchiveStorage denied = new S3ArchiveStorage(
                server.client(wrong), new S3ArchiveStorage.Settings(bucket, "", 5 * MIB, server.endpoint()))) {
            for (ThrowingCall call : List.<ThrowingCall>of(denied::probe, denied::keys, () -> denied.create("x.tar"))) {
                assertThatThrownBy(call::run)
                        .isInstanceOf(IOException.class)
                        .hasMessageContaining("denied")
                        .hasMessageContaining("credentials")
                        .satisfies(e ->
                                assertThat(fullText(e)).doesNotContain(wrong).doesNotContain(server.secretKey()));
            }
        }
        int closed;
        try (ServerSocket s = new ServerSocket(0)) {
            closed = s.getLocalPort();
        }
        URI nowhere = URI.create("http://127.0.0.1:" + closed);
        try (S3Client c = S3Client.builder()
                        .endpointOverride(nowhere)
                        .httpClientBuilder(software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient.builder())
                        .region(software.amazon.awssdk.regions.Region.US_EAST_1)
                        .forcePathStyle(true)
                        .credentialsProvider(software.amazon.awssdk.auth.credentials.StaticCredentialsProvider.create(
                                software.amazon.awssdk.auth.credentials.AwsBasicCredentials.create(
                                        S3Server.ACCESS_KEY, server.secretKey())))
                        .build();
                S3ArchiveStorage away =
                        new S3ArchiveStorage(c, new S3ArchiveStorage.Settings(bucket, "", 5 * MIB, nowhere))) {
            assertThatThrownBy(away::probe)
                    .isInstanceOf(IOException.class)
                    .hasMessageContaining("did not answer")
                    .hasMessageContaining(nowhere.toString())
                    .satisfies(e -> assertThat(fullText(e)).doesNotContain(server.secretKey()));
        }
        storage.probe();
    }

    @Test
    void partSizesOutsideS3sLimitsAreRefused() {
        assertThatThrownBy(() -> new S3ArchiveStorage.Settings("b", "", 5 * MIB - 1, null))
                .hasMessageContaining("5 MiB");
        assertThat(new S3ArchiveStorage.Settings("b", "/x", 5 * MIB, null).prefix())
                .isEqualTo("x/");
    }

    interface ThrowingCall {
        void run() throws Exception;
    }

    static void assertThatNoException(ThrowingCall call) {
        try {
            call.run();
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    static String fullText(Throwable e) {
        StringBuilder b = new StringBuilder();
        for (Throwable t = e; t != null; t = t.getCause()) {
            b.append(t).append('\n');
        }
        return b.toString();
    }
}
