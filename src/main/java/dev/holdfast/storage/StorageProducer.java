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
import org.jboss.logging.Logger;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3ClientBuilder;

/** Provides the configured archive storage (a local directory or an S3 bucket) and tidies it at start-up. */
@ApplicationScoped
public class StorageProducer {
    private static final Logger LOG = Logger.getLogger(StorageProducer.class);

    @Produces
    @Singleton
    @Startup
    ArchiveStorage storage(HoldfastConfig config) {
        return switch (config.storage().type()) {
            case LOCAL -> local(config);
            case S3 -> s3(config.storage().s3());
        };
    }

    void close(@Disposes ArchiveStorage storage) {
        if (storage instanceof S3ArchiveStorage s3) {
            s3.close();
        }
    }

    private static ArchiveStorage local(HoldfastConfig config) {
        try {
            LocalArchiveStorage storage = new LocalArchiveStorage(
                    Path.of(config.storage().local().root()), config.archive().fileMode());
            int removed = storage.cleanupStaleTemps();
            if (removed > 0) {
                LOG.infof("Removed %d stale partial archive(s) from %s", removed, storage.root());
            }
            return storage;
        } catch (IOException e) {
            throw new UncheckedIOException(
                    "Archive storage " + config.storage().local().root() + " is unusable", e);
        }
    }

    private static ArchiveStorage s3(HoldfastConfig.Storage.S3 config) {
        S3ArchiveStorage.Settings settings = settings(config);
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

    /** The S3 settings, or a start-up failure naming the key that is wrong. */
    static S3ArchiveStorage.Settings settings(HoldfastConfig.Storage.S3 config) {
        String bucket = config.bucket()
                .map(String::strip)
                .filter(b -> !b.isEmpty())
                .orElseThrow(() -> new IllegalStateException(
                        "holdfast.storage.s3.bucket is required when holdfast.storage.type=s3"));
        long part = config.partSize().asLongValue();
        if (part < S3ArchiveStorage.MIN_PART_SIZE || part > S3ArchiveStorage.MAX_PART_SIZE) {
            throw new IllegalStateException("holdfast.storage.s3.part-size must be between 5M and 5G (S3's limits),"
                    + " got " + part + " bytes");
        }
        if (config.accessKeyId().isPresent() != config.secretAccessKey().isPresent()) {
            throw new IllegalStateException(
                    "holdfast.storage.s3.access-key-id and holdfast.storage.s3.secret-access-key"
                            + " go together: set both, or neither to use the SDK's default credentials chain");
        }
        if (config.staleUploadAge().isNegative()) {
            throw new IllegalStateException("holdfast.storage.s3.stale-upload-age must not be negative");
        }
        config.endpoint().ifPresent(e -> {
            if (e.getScheme() == null || e.getHost() == null) {
                throw new IllegalStateException(
                        "holdfast.storage.s3.endpoint must be a URL such as http://minio:9000, got " + e);
            }
        });
        return new S3ArchiveStorage.Settings(
                bucket, config.prefix().orElse(""), part, config.endpoint().orElse(null));
    }

    /** An S3 client as configured; with no keys configured the SDK's default chain finds the credentials. */
    static S3Client client(HoldfastConfig.Storage.S3 config) {
        S3ClientBuilder b = S3Client.builder()
                .httpClientBuilder(UrlConnectionHttpClient.builder()
                        .connectionTimeout(Duration.ofSeconds(10))
                        // Every wait ends: a store that stops answering mid-transfer fails the request.
                        .socketTimeout(Duration.ofMinutes(2)))
                .region(Region.of(config.region()))
                .forcePathStyle(config.pathStyle())
                .requestChecksumCalculation(
                        config.checksumCalculation() == HoldfastConfig.Storage.ChecksumMode.WHEN_SUPPORTED
                                ? RequestChecksumCalculation.WHEN_SUPPORTED
                                : RequestChecksumCalculation.WHEN_REQUIRED)
                .responseChecksumValidation(
                        config.checksumValidation() == HoldfastConfig.Storage.ChecksumMode.WHEN_SUPPORTED
                                ? ResponseChecksumValidation.WHEN_SUPPORTED
                                : ResponseChecksumValidation.WHEN_REQUIRED);
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
