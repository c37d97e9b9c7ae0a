package dev.holdfast.storage;

import dev.holdfast.config.HoldfastConfig;
import io.quarkus.runtime.Startup;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Disposes;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.jboss.logging.Logger;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.http.auth.aws.signer.AwsV4FamilyHttpSigner;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3ClientBuilder;
import software.amazon.awssdk.services.s3.auth.scheme.S3AuthSchemeProvider;

/**
 * Provides the configured archive storages (each a local directory or an S3 bucket): the primary one as
 * {@link ArchiveStorage}, all of them as {@link Storages}; tidies each at start-up and refuses a configuration
 * that names a storage wrongly, naming the key.
 */
@ApplicationScoped
public class StorageProducer {
    private static final Logger LOG = Logger.getLogger(StorageProducer.class);
    private static final java.util.regex.Pattern NAME = java.util.regex.Pattern.compile("[a-z0-9][a-z0-9-]{0,62}");
    private static final Set<String> RESERVED = Set.of(Storages.PRIMARY, "type", "local", "s3", "retention");

    @Produces
    @Singleton
    @Startup
    Storages storages(HoldfastConfig config) {
        Map<String, ArchiveStorage> all = new LinkedHashMap<>();
        all.put(Storages.PRIMARY, build("holdfast.storage.", config.storage(), config));
        Path primaryRoot = config.storage().type() == HoldfastConfig.Backend.StorageType.LOCAL
                ? Path.of(config.storage().local().root()).toAbsolutePath().normalize()
                : null;
        for (Map.Entry<String, HoldfastConfig.Named> e :
                new TreeMap<>(config.storage().named()).entrySet()) {
            String name = e.getKey();
            String prefix = "holdfast.storage.\"" + name + "\".";
            if (RESERVED.contains(name) || !NAME.matcher(name).matches()) {
                throw new IllegalStateException(prefix + "*: a storage name must be 1-63 lower-case letters, digits"
                        + " and dashes, and not one of " + new TreeSet<>(RESERVED));
            }
            HoldfastConfig.Backend b = e.getValue();
            if (b.type() == HoldfastConfig.Backend.StorageType.LOCAL) {
                Path root = Path.of(b.local().root()).toAbsolutePath().normalize();
                // The group's default root is the primary's default: a copy there would be no copy at all.
                if (root.equals(primaryRoot)
                        || root.equals(
                                Path.of("./holdfast-data").toAbsolutePath().normalize())) {
                    throw new IllegalStateException(prefix + "local.root must be set to a directory of its own (got "
                            + root + ", which is the primary storage's)");
                }
            }
            all.put(name, build(prefix, b, config));
        }
        return new Storages(all);
    }

    @Produces
    @Singleton
    ArchiveStorage primary(Storages storages) {
        return storages.primary();
    }

    void close(@Disposes Storages storages) {
        for (ArchiveStorage s : storages.all().values()) {
            if (s instanceof S3ArchiveStorage s3) {
                s3.close();
            }
        }
    }

    private static ArchiveStorage build(String prefix, HoldfastConfig.Backend backend, HoldfastConfig config) {
        return switch (backend.type()) {
            case LOCAL -> local(backend.local().root(), config);
            case S3 -> s3(prefix + "s3.", backend.s3());
        };
    }

    private static ArchiveStorage local(String root, HoldfastConfig config) {
        try {
            LocalArchiveStorage storage =
                    new LocalArchiveStorage(Path.of(root), config.archive().fileMode());
            int removed = storage.cleanupStaleTemps();
            if (removed > 0) {
                LOG.infof("Removed %d stale partial archive(s) from %s", removed, storage.root());
            }
            return storage;
        } catch (IOException e) {
            throw new UncheckedIOException("Archive storage " + root + " is unusable", e);
        }
    }

    private static ArchiveStorage s3(String prefix, HoldfastConfig.Backend.S3 config) {
        S3ArchiveStorage.Settings settings = settings(prefix, config);
        S3ArchiveStorage storage = new S3ArchiveStorage(client(config), settings);
        try {
            int aborted = storage.sweepStaleUploads(config.staleUploadAge());
            if (aborted > 0) {
                LOG.infof(
                        "Aborted %d multipart upload(s) older than %s in %s, left by a stopped instance",
                        aborted, config.staleUploadAge(), storage.location());
            }
        } catch (IOException e) {
            // A store that is down now must not keep the service from starting: readiness reports it, and the next
            // start sweeps again.
            LOG.warnf("Archive storage %s: the sweep of stale uploads failed: %s", storage.location(), e.getMessage());
        }
        LOG.infof("Archives are stored in %s (part size %d bytes)", storage.location(), settings.partSize());
        return storage;
    }

    /** The primary storage's S3 settings, or a start-up failure naming the key that is wrong. */
    static S3ArchiveStorage.Settings settings(HoldfastConfig.Backend.S3 config) {
        return settings("holdfast.storage.s3.", config);
    }

    /** The S3 settings, or a start-up failure naming the key that is wrong. */
    /** The S3 settings of the storage whose keys start with {@code k}, or a start-up failure naming the key. */
    static S3ArchiveStorage.Settings settings(String k, HoldfastConfig.Backend.S3 config) {
        String bucket = config.bucket()
                .map(String::strip)
                .filter(b -> !b.isEmpty())
                .orElseThrow(() -> new IllegalStateException(k + "bucket is required when the storage's type is s3"));
        long part = config.partSize().asLongValue();
        if (part < S3ArchiveStorage.MIN_PART_SIZE || part > S3ArchiveStorage.MAX_PART_SIZE) {
            throw new IllegalStateException(
                    k + "part-size must be between 5M and 5G (S3's limits)," + " got " + part + " bytes");
        }
        if (config.accessKeyId().isPresent() != config.secretAccessKey().isPresent()) {
            throw new IllegalStateException(k + "access-key-id and " + k + "secret-access-key"
                    + " go together: set both, or neither to use the SDK's default credentials chain");
        }
        if (config.staleUploadAge().isNegative()) {
            throw new IllegalStateException(k + "stale-upload-age must not be negative");
        }
        config.endpoint().ifPresent(e -> {
            if (e.getScheme() == null || e.getHost() == null) {
                throw new IllegalStateException(k + "endpoint must be a URL such as http://minio:9000, got " + e);
            }
        });
        return new S3ArchiveStorage.Settings(
                bucket, config.prefix().orElse(""), part, config.endpoint().orElse(null));
    }

    /** An S3 client as configured; with no keys configured the SDK's default chain finds the credentials. */
    static S3Client client(HoldfastConfig.Backend.S3 config) {
        S3ClientBuilder b = S3Client.builder()
                .httpClientBuilder(UrlConnectionHttpClient.builder()
                        .connectionTimeout(Duration.ofSeconds(10))
                        // Every wait ends: a store that stops answering mid-transfer fails the request.
                        .socketTimeout(Duration.ofMinutes(2)))
                .region(Region.of(config.region()))
                .forcePathStyle(config.pathStyle())
                .requestChecksumCalculation(
                        config.checksumCalculation() == HoldfastConfig.Backend.ChecksumMode.WHEN_SUPPORTED
                                ? RequestChecksumCalculation.WHEN_SUPPORTED
                                : RequestChecksumCalculation.WHEN_REQUIRED)
                .responseChecksumValidation(
                        config.checksumValidation() == HoldfastConfig.Backend.ChecksumMode.WHEN_SUPPORTED
                                ? ResponseChecksumValidation.WHEN_SUPPORTED
                                : ResponseChecksumValidation.WHEN_REQUIRED);
        if (config.checksumCalculation() == HoldfastConfig.Backend.ChecksumMode.WHEN_REQUIRED) {
            // Parts go as one plainly signed body instead of aws-chunked frames, each signed on its own: over https
            // the SDK then sends UNSIGNED-PAYLOAD (TLS protects the bytes), over http it signs the whole body once.
            // Nothing is lost: the post-write check reads the object back and compares its SHA-256 with what was
            // sent. Measured against s3proxy over http (bench/README.md, 2026-12-05): 0.25 CPU-s less per 221 MB.
            // With WHEN_SUPPORTED the SDK's checksum trailers need chunked encoding, so it is left as it is.
            S3AuthSchemeProvider defaults = S3AuthSchemeProvider.defaultProvider();
            b.authSchemeProvider(params -> defaults.resolveAuthScheme(params).stream()
                    .map(option -> option.toBuilder()
                            .putSignerProperty(AwsV4FamilyHttpSigner.PAYLOAD_SIGNING_ENABLED, false)
                            .putSignerProperty(AwsV4FamilyHttpSigner.CHUNK_ENCODING_ENABLED, false)
                            .build())
                    .toList());
        }
        config.endpoint().ifPresent(b::endpointOverride);
        if (config.accessKeyId().isPresent()) {
            b.credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(
                    config.accessKeyId().get(), config.secretAccessKey().get())));
        } else {
            b.credentialsProvider(DefaultCredentialsProvider.builder().build());
        }
        return b.build();
    }
}
