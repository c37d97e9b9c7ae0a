package dev.holdfast.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * A real S3 server for the tests: s3proxy ({@code org.gaul:s3proxy} jar-with-dependencies, copied by the build to
 * {@code target/s3proxy/s3proxy.jar}) as its own JVM, with SigV4 authentication and jclouds' filesystem provider
 * under {@code target/s3proxy-data}. Started once per JVM on first use, stopped when the JVM exits. Its
 * credential is random per run and reaches s3proxy through a 0600 properties file, never the command line.
 */
public final class S3Server {
    /** The identity (access key id) s3proxy accepts. */
    public static final String ACCESS_KEY = "holdfast-test";

    static final Duration START_TIMEOUT = Duration.ofSeconds(90);

    private static S3Server instance;

    private final Process process;
    private final Path log;
    private final int port;
    private final String secret;

    private S3Server(Process process, Path log, int port, String secret) {
        this.process = process;
        this.log = log;
        this.port = port;
        this.secret = secret;
    }

    /** The running server, started (and waited for) on the first call. */
    public static synchronized S3Server get() {
        if (instance == null) {
            instance = start();
        }
        return instance;
    }

    /** {@code http://127.0.0.1:<port>}. */
    public URI endpoint() {
        return URI.create("http://127.0.0.1:" + port);
    }

    /** The secret key belonging to {@link #ACCESS_KEY}. */
    public String secretKey() {
        return secret;
    }

    /**
     * A plain SDK client of this server, built here and not by Holdfast, so tests can check what Holdfast stored
     * independently of its code.
     */
    public S3Client client() {
        return client(secret);
    }

    /** A client signing with {@code secretKey} (a wrong one for the access-denied tests). */
    public S3Client client(String secretKey) {
        return S3Client.builder()
                .httpClientBuilder(UrlConnectionHttpClient.builder())
                .endpointOverride(endpoint())
                .region(Region.US_EAST_1)
                .forcePathStyle(true)
                .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
                .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED)
                .credentialsProvider(
                        StaticCredentialsProvider.create(AwsBasicCredentials.create(ACCESS_KEY, secretKey)))
                .build();
    }

    /** Creates a new, empty bucket with a unique name starting with {@code prefix}, and returns its name. */
    public String newBucket(String prefix) {
        String name = (prefix + "-" + UUID.randomUUID().toString().substring(0, 8)).toLowerCase();
        try (S3Client s3 = client()) {
            s3.createBucket(b -> b.bucket(name));
        }
        return name;
    }

    private static S3Server start() {
        Path jar = Path.of(System.getProperty("s3proxy.jar", "target/s3proxy/s3proxy.jar"));
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException("No s3proxy at " + jar + ": the build copies org.gaul:s3proxy"
                    + " (jar-with-dependencies) there in process-test-classes; run the tests through ./mvnw");
        }
        try {
            Path base = Path.of("target/s3proxy-data").toAbsolutePath();
            deleteTree(base);
            Files.createDirectories(base);
            int port = freePort();
            byte[] random = new byte[16];
            new SecureRandom().nextBytes(random);
            String secret = HexFormat.of().formatHex(random);
            Path props = Path.of("target/s3proxy/s3proxy.properties").toAbsolutePath();
            Files.deleteIfExists(props);
            Files.createFile(props, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            Files.writeString(
                    props,
                    String.join(
                            "\n",
                            "s3proxy.endpoint=http://127.0.0.1:" + port,
                            "s3proxy.authorization=aws-v2-or-v4",
                            "s3proxy.identity=" + ACCESS_KEY,
                            "s3proxy.credential=" + secret,
                            "jclouds.provider=filesystem-nio2",
                            "jclouds.filesystem.basedir=" + base,
                            ""),
                    StandardCharsets.UTF_8);
            Path log = Path.of("target/s3proxy.log").toAbsolutePath();
            Path java = Path.of(System.getProperty("java.home"), "bin", "java");
            ProcessBuilder pb = new ProcessBuilder(
                            java.toString(),
                            "-Xmx256m",
                            "-jar",
                            jar.toAbsolutePath().toString(),
                            "--properties",
                            props.toString())
                    .redirectErrorStream(true)
                    .redirectOutput(log.toFile());
            Instant started = Instant.now();
            S3Server server = new S3Server(pb.start(), log, port, secret);
            Runtime.getRuntime().addShutdownHook(new Thread(server::stop, "s3proxy-stop"));
            server.awaitReady(started);
            System.out.printf(
                    "s3proxy ready at %s in %d ms (log: %s)%n",
                    server.endpoint(), Duration.between(started, Instant.now()).toMillis(), log);
            return server;
        } catch (IOException e) {
            throw new UncheckedIOException("could not start s3proxy from " + jar, e);
        }
    }

    private void awaitReady(Instant started) {
        HttpClient http =
                HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        while (true) {
            if (!process.isAlive()) {
                throw new IllegalStateException("s3proxy exited with " + process.exitValue()
                        + " before it was ready; last lines of " + log + ":\n" + tail());
            }
            if (Duration.between(started, Instant.now()).compareTo(START_TIMEOUT) > 0) {
                stop();
                throw new IllegalStateException(
                        "s3proxy was not ready within " + START_TIMEOUT + "; last lines of " + log + ":\n" + tail());
            }
            try {
                // Any HTTP answer (an anonymous request is refused with 403) means it serves.
                http.send(
                        HttpRequest.newBuilder(endpoint())
                                .timeout(Duration.ofSeconds(2))
                                .build(),
                        HttpResponse.BodyHandlers.discarding());
                return;
            } catch (IOException e) {
                // not listening yet
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for s3proxy", e);
            }
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
    }

    /** The last lines of s3proxy's log, for failure messages. */
    public String tail() {
        try {
            List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    void stop() {
        if (process.isAlive()) {
            process.destroy();
            try {
                if (!process.waitFor(15, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                }
            } catch (InterruptedException e) {
                process.destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
