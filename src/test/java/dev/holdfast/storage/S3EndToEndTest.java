package dev.holdfast.storage;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.holdfast.backup.BackupApiTest;
import dev.holdfast.restore.RestoreApiTest;
import dev.holdfast.support.AppDatabase;
import dev.holdfast.support.S3Server;
import dev.holdfast.support.TestDatabase;
import dev.holdfast.support.TestResources;
import dev.holdfast.support.Tokens;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.response.Response;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.MultipartUpload;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;

/**
 * The whole service on the S3 backend (s3proxy, out of process): backup, ranged download, verify, restore and
 * delete through the REST API, with what is in the bucket checked by a plain SDK client, not Holdfast's code.
 */
@QuarkusTest
@TestProfile(S3EndToEndTest.OnS3.class)
public class S3EndToEndTest {
    static final Object RESOURCES = TestResources.class;
    static final String PREFIX = "holdfast/";
    static final Path BIG = Path.of("target/test-media/uploads/s3-big/blob.bin");

    /** The service with {@code holdfast.storage.type=s3} on a fresh bucket of the test's s3proxy. */
    public static class OnS3 implements QuarkusTestProfile {
        @Override
        public List<TestResourceEntry> testResources() {
            return List.of(new TestResourceEntry(Bucket.class));
        }
    }

    /**
     * Starts s3proxy and makes the bucket before the service starts, with a multipart upload in it that a killed
     * instance "left": the service's start-up sweep (age 0s here) must abort it.
     */
    public static class Bucket implements QuarkusTestResourceLifecycleManager {
        static String name;
        static String offsite;
        static String killedUpload;

        @Override
        public Map<String, String> start() {
            S3Server s3 = S3Server.get();
            name = s3.newBucket("e2e");
            offsite = s3.newBucket("offsite");
            try (S3Client raw = s3.client()) {
                killedUpload = raw.createMultipartUpload(b -> b.bucket(name).key(PREFIX + "killed.tar"))
                        .uploadId();
                raw.uploadPart(
                        b -> b.bucket(name)
                                .key(PREFIX + "killed.tar")
                                .uploadId(killedUpload)
                                .partNumber(1),
                        RequestBody.fromString("half an archive"));
            }
            return Map.ofEntries(
                    Map.entry("holdfast.storage.type", "s3"),
                    Map.entry("holdfast.storage.s3.endpoint", s3.endpoint().toString()),
                    Map.entry("holdfast.storage.s3.bucket", name),
                    Map.entry("holdfast.storage.s3.prefix", "holdfast"),
                    Map.entry("holdfast.storage.s3.path-style", "true"),
                    Map.entry("holdfast.storage.s3.access-key-id", S3Server.ACCESS_KEY),
                    Map.entry("holdfast.storage.s3.secret-access-key", s3.secretKey()),
                    Map.entry("holdfast.storage.s3.part-size", "5M"),
                    Map.entry("holdfast.storage.s3.stale-upload-age", "0s"),
                    // The test profile's local "offsite" storage becomes a second bucket: copies go bucket to bucket.
                    Map.entry("holdfast.storage.\"offsite\".type", "s3"),
                    Map.entry(
                            "holdfast.storage.\"offsite\".s3.endpoint",
                            s3.endpoint().toString()),
                    Map.entry("holdfast.storage.\"offsite\".s3.bucket", offsite),
                    Map.entry("holdfast.storage.\"offsite\".s3.prefix", "copies"),
                    Map.entry("holdfast.storage.\"offsite\".s3.path-style", "true"),
                    Map.entry("holdfast.storage.\"offsite\".s3.access-key-id", S3Server.ACCESS_KEY),
                    Map.entry("holdfast.storage.\"offsite\".s3.secret-access-key", s3.secretKey()),
                    Map.entry("holdfast.storage.\"offsite\".s3.part-size", "5M"));
        }

        @Override
        public void stop() {}
    }

    S3Client raw;

    @BeforeEach
    void fixture() throws Exception {
        AppDatabase.reset();
        raw = S3Server.get().client();
        // Incompressible media, so that the archive spans several 5 MiB parts (a real multipart upload).
        Files.createDirectories(BIG.getParent());
        byte[] blob = new byte[11 * 1024 * 1024];
        new Random(7).nextBytes(blob);
        Files.write(BIG, blob);
    }

    @AfterEach
    void cleanup() throws Exception {
        Files.deleteIfExists(BIG);
        Files.deleteIfExists(BIG.getParent());
        raw.close();
    }

    byte[] object(UUID id) {
        return raw.getObjectAsBytes(b -> b.bucket(Bucket.name).key(PREFIX + id + ".tar"))
                .asByteArray();
    }

    static String sha256(byte[] b) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
    }

    static String sha256(java.io.InputStream in) throws Exception {
        MessageDigest md = MessageDigest.getInstance("SHA-256");
        try (in) {
            byte[] buf = new byte[1 << 16];
            int n;
            while ((n = in.read(buf)) > 0) {
                md.update(buf, 0, n);
            }
        }
        return HexFormat.of().formatHex(md.digest());
    }

    @Test
    void aKilledInstancesUploadIsAbortedAtStartUp() {
        List<MultipartUpload> uploads =
                raw.listMultipartUploads(b -> b.bucket(Bucket.name)).uploads();
        assertThat(uploads).extracting(MultipartUpload::uploadId).doesNotContain(Bucket.killedUpload);
        given().get("/q/health/ready").then().statusCode(200);
        String health = given().get("/q/health/ready").asString();
        assertThat(health).contains("archive-storage").contains("s3://" + Bucket.name + "/holdfast/");
    }

    @Test
    void backupDownloadVerifyRestoreAndDeleteWorkAgainstTheBucket() throws Exception {
        Map<String, String> original = AppDatabase.tableHashes(TestDatabase.APP_DB);
        byte[] blob = Files.readAllBytes(BIG);
        UUID id = BackupApiTest.create("{\"name\":\"to-s3\",\"backup_type\":\"full\"}");
        JsonNode b = BackupApiTest.awaitBackup(id);
        assertThat(b.get("status").asText()).as(b.toString()).isEqualTo("SUCCEEDED");
        assertThat(b.get("summary").get("post_write_check").asText()).isEqualTo("stored");

        // The archive is in the bucket, whole, with the SHA-256 the catalog recorded; nothing went to local disk.
        byte[] stored = object(id);
        assertThat(stored.length).as("several parts").isGreaterThan(10 * 1024 * 1024);
        assertThat(sha256(stored)).isEqualTo(b.get("sha256").asText());
        assertThat(b.get("size_bytes").asLong()).isEqualTo(stored.length);
        assertThat(Files.exists(BackupApiTest.STORAGE.resolve(id + ".tar"))).isFalse();
        assertThat(raw.listMultipartUploads(x -> x.bucket(Bucket.name)).uploads())
                .as("no upload left open")
                .isEmpty();

        // Download by range, across the first part boundary, equals the object's bytes.
        int from = 5 * 1024 * 1024 - 1000;
        Response part = given().auth()
                .oauth2(Tokens.admin())
                .header("Range", "bytes=" + from + "-" + (from + 2999))
                .get("/api/backups/{id}/download", id);
        part.then()
                .statusCode(206)
                .header("Content-Range", "bytes " + from + "-" + (from + 2999) + "/" + stored.length);
        assertThat(part.asByteArray()).isEqualTo(Arrays.copyOfRange(stored, from, from + 3000));
        // The whole download is hashed as it streams: REST Assured would hold it (twice, while growing its buffer)
        // in the test JVM's heap, which every Quarkus start of the suite shares.
        java.net.http.HttpResponse<java.io.InputStream> whole = java.net.http.HttpClient.newHttpClient()
                .send(
                        java.net.http.HttpRequest.newBuilder(java.net.URI.create(io.restassured.RestAssured.baseURI
                                        + ":" + io.restassured.RestAssured.port + "/api/backups/" + id + "/download"))
                                .header("Authorization", "Bearer " + Tokens.admin())
                                .build(),
                        java.net.http.HttpResponse.BodyHandlers.ofInputStream());
        assertThat(whole.statusCode()).isEqualTo(200);
        assertThat(sha256(whole.body())).isEqualTo(sha256(stored));
        assertThat(whole.headers().firstValue("X-Holdfast-SHA256")).contains(sha256(stored));

        // Verify reads the entries back from the bucket.
        String job = given().auth()
                .oauth2(Tokens.operator())
                .post("/api/backups/{id}/verify", id)
                .then()
                .statusCode(202)
                .extract()
                .jsonPath()
                .getString("job.id");
        await().atMost(Duration.ofSeconds(60))
                .until(() -> BackupApiTest.jobState(job).matches("SUCCEEDED|FAILED|CANCELLED"));
        assertThat(BackupApiTest.jobState(job)).isEqualTo("SUCCEEDED");
        JsonNode verified = BackupApiTest.awaitBackup(id);
        assertThat(verified.get("verify_ok").asBoolean())
                .as(verified.toString())
                .isTrue();

        // Restore from the bucket: the data comes back, and so does the media file.
        AppDatabase.exec(TestDatabase.APP_DB, "UPDATE sales.customer SET name = 'changed'", "TRUNCATE public.profile");
        Files.write(BIG, new byte[] {1, 2, 3});
        assertThat(AppDatabase.tableHashes(TestDatabase.APP_DB)).isNotEqualTo(original);
        UUID restore = RestoreApiTest.restore(id, "{\"description\":\"from s3\"}");
        JsonNode r = RestoreApiTest.awaitRestore(restore);
        assertThat(r.get("status").asText()).as(r.toString()).isEqualTo("SUCCEEDED");
        assertThat(AppDatabase.tableHashes(TestDatabase.APP_DB)).isEqualTo(original);
        assertThat(Files.readAllBytes(BIG)).isEqualTo(blob);

        // Delete removes the object.
        given().auth()
                .oauth2(Tokens.admin())
                .delete("/api/backups/{id}", id)
                .then()
                .statusCode(204);
        assertThatThrownBy(() -> raw.headObject(x -> x.bucket(Bucket.name).key(PREFIX + id + ".tar")))
                .isInstanceOf(NoSuchKeyException.class);
    }

    @Test
    void aCopyGoesFromBucketToBucketAndIsDeletedWithTheBackup() throws Exception {
        UUID id = BackupApiTest.create("{\"backup_type\":\"full\",\"copy_to\":[\"offsite\"]}");
        JsonNode b = BackupApiTest.awaitBackup(id);
        assertThat(b.get("status").asText()).as(b.toString()).isEqualTo("SUCCEEDED");
        JsonNode c = dev.holdfast.backup.BackupCopyTest.awaitCopy(id, "offsite");
        assertThat(c.get("status").asText()).as(c.toString()).isEqualTo("SUCCEEDED");

        // Checked with a plain SDK client: the second bucket holds the same bytes, in several parts' worth.
        String primary = sha256(raw.getObject(x -> x.bucket(Bucket.name).key(PREFIX + id + ".tar")));
        assertThat(raw.headObject(x -> x.bucket(Bucket.offsite).key("copies/" + id + ".tar"))
                        .contentLength())
                .isGreaterThan(10 * 1024 * 1024);
        assertThat(sha256(raw.getObject(x -> x.bucket(Bucket.offsite).key("copies/" + id + ".tar"))))
                .isEqualTo(primary)
                .isEqualTo(b.get("sha256").asText());
        assertThat(raw.listMultipartUploads(x -> x.bucket(Bucket.offsite)).uploads())
                .as("no upload left open")
                .isEmpty();
        String health = given().get("/q/health/ready").asString();
        assertThat(health).contains("up s3://" + Bucket.offsite + "/copies/");

        given().auth()
                .oauth2(Tokens.admin())
                .delete("/api/backups/{id}", id)
                .then()
                .statusCode(204);
        assertThatThrownBy(() -> raw.headObject(x -> x.bucket(Bucket.offsite).key("copies/" + id + ".tar")))
                .isInstanceOf(NoSuchKeyException.class);
        assertThatThrownBy(() -> raw.headObject(x -> x.bucket(Bucket.name).key(PREFIX + id + ".tar")))
                .isInstanceOf(NoSuchKeyException.class);
    }
}
