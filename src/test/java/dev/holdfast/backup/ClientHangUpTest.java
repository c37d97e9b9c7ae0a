package dev.holdfast.backup;

import static org.assertj.core.api.Assertions.assertThat;

import dev.holdfast.support.AppDatabase;
import dev.holdfast.support.LogCapture;
import dev.holdfast.support.TestDatabase;
import dev.holdfast.support.TestResources;
import dev.holdfast.support.Tokens;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.UUID;
import java.util.logging.Level;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** A client that hangs up during a download is ordinary: the service logs no error for it. */
@QuarkusTest
class ClientHangUpTest {
    static final Object RESOURCES = TestResources.class;

    @AfterEach
    void dropTable() {
        AppDatabase.exec(TestDatabase.APP_DB, "DROP TABLE IF EXISTS public.hangup_big");
    }

    @Test
    void aDownloadAbortedMidStreamLogsNoError() throws Exception {
        // About 40 MB of archive, stored uncompressed: far more than socket buffers hold.
        AppDatabase.exec(
                TestDatabase.APP_DB,
                "DROP TABLE IF EXISTS public.hangup_big",
                "CREATE TABLE public.hangup_big AS SELECT g AS id, md5(random()::text) || md5(random()::text) "
                        + "|| md5(random()::text) || md5(random()::text) AS payload FROM generate_series(1, 300000) g");
        UUID id = BackupApiTest.create(
                "{\"backup_type\":\"database\",\"include_tables\":[\"hangup_big\"]," + "\"compression\":\"none\"}");
        assertThat(BackupApiTest.awaitBackup(id).get("status").asText()).isEqualTo("SUCCEEDED");

        try (LogCapture log = LogCapture.from(Level.WARNING)) {
            for (int i = 0; i < 3; i++) {
                try (Socket s = new Socket("localhost", RestAssured.port)) {
                    OutputStream out = s.getOutputStream();
                    out.write(("GET /api/backups/" + id + "/download HTTP/1.1\r\nHost: localhost\r\nAuthorization: "
                                    + "Bearer " + Tokens.admin() + "\r\n\r\n")
                            .getBytes(StandardCharsets.US_ASCII));
                    out.flush();
                    InputStream in = s.getInputStream();
                    byte[] buf = new byte[16384];
                    long read = 0;
                    while (read < 256 * 1024) {
                        int n = in.read(buf);
                        assertThat(n).isPositive();
                        read += n;
                    }
                    assertThat(new String(buf, 0, 12, StandardCharsets.ISO_8859_1))
                            .isNotEmpty();
                    s.setSoLinger(true, 0); // a reset, as a killed client leaves it
                }
            }
            Thread.sleep(2000); // the server notices on its next writes
            assertThat(log.lines())
                    .filteredOn(l -> l.startsWith("SEVERE") || l.startsWith("ERROR"))
                    .isEmpty();
            assertThat(log.lines()).noneMatch(l -> l.contains("BackupResource") || l.contains("ProblemMapper"));
        }
        // And the service still serves the archive whole: streamed and hashed here, never held in the test's heap
        // (REST Assured buffers a body, and 40 MB of it beside the service in one 512 MB JVM is what ran out).
        HttpResponse<InputStream> whole = HttpClient.newHttpClient()
                .send(
                        HttpRequest.newBuilder(URI.create(RestAssured.baseURI + ":" + RestAssured.port + "/api/backups/"
                                        + id + "/download"))
                                .header("Authorization", "Bearer " + Tokens.admin())
                                .build(),
                        HttpResponse.BodyHandlers.ofInputStream());
        assertThat(whole.statusCode()).isEqualTo(200);
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        try (InputStream in = new DigestInputStream(whole.body(), sha)) {
            in.transferTo(OutputStream.nullOutputStream());
        }
        assertThat(HexFormat.of().formatHex(sha.digest()))
                .isEqualTo(BackupApiTest.awaitBackup(id).get("sha256").asText());
    }
}
