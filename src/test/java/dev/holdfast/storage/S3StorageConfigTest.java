package dev.holdfast.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.holdfast.config.HoldfastConfig;
import io.quarkus.runtime.configuration.DurationConverter;
import io.quarkus.runtime.configuration.MemorySize;
import io.quarkus.runtime.configuration.MemorySizeConverter;
import io.smallrye.config.PropertiesConfigSource;
import io.smallrye.config.SmallRyeConfig;
import io.smallrye.config.SmallRyeConfigBuilder;
import java.net.URI;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The {@code holdfast.storage.*} keys: defaults, and misconfiguration refused with the key named. */
public class S3StorageConfigTest {

    public static HoldfastConfig.Storage config(Map<String, String> values) {
        SmallRyeConfig c = new SmallRyeConfigBuilder()
                .withMapping(HoldfastConfig.Storage.class, "holdfast.storage")
                .withConverter(MemorySize.class, 200, new MemorySizeConverter())
                .withConverter(Duration.class, 200, new DurationConverter())
                .withSources(new PropertiesConfigSource(values, "test", 100))
                .build();
        return c.getConfigMapping(HoldfastConfig.Storage.class, "holdfast.storage");
    }

    static Map<String, String> s3(String... kv) {
        Map<String, String> m = new HashMap<>();
        m.put("holdfast.storage.type", "s3");
        for (int i = 0; i < kv.length; i += 2) {
            m.put("holdfast.storage.s3." + kv[i], kv[i + 1]);
        }
        return m;
    }

    @Test
    void defaultsAreLocalStorageAndConservativeS3Settings() {
        HoldfastConfig.Storage d = config(Map.of());
        assertThat(d.type()).isEqualTo(HoldfastConfig.Backend.StorageType.LOCAL);
        assertThat(d.local().root()).isEqualTo("./holdfast-data");
        HoldfastConfig.Backend.S3 s = d.s3();
        assertThat(s.region()).isEqualTo("us-east-1");
        assertThat(s.pathStyle()).isFalse();
        assertThat(s.endpoint()).isEmpty();
        assertThat(s.checksumCalculation()).isEqualTo(HoldfastConfig.Backend.ChecksumMode.WHEN_REQUIRED);
        assertThat(s.checksumValidation()).isEqualTo(HoldfastConfig.Backend.ChecksumMode.WHEN_REQUIRED);
        assertThat(s.partSize().asLongValue()).isEqualTo(16L * 1024 * 1024);
        assertThat(s.staleUploadAge()).isEqualTo(Duration.ofHours(24));
    }

    @Test
    void namedStoragesSitBesideThePrimaryWithoutTakingItsKeys() {
        Map<String, String> m = s3("bucket", "primary", "endpoint", "http://minio:9000", "path-style", "true");
        m.put("holdfast.storage.local.root", "/var/lib/holdfast");
        m.put("holdfast.storage.\"offsite\".type", "s3");
        m.put("holdfast.storage.\"offsite\".s3.bucket", "far-away");
        m.put("holdfast.storage.\"offsite\".s3.region", "eu-west-1");
        m.put("holdfast.storage.second-disk.local.root", "/mnt/second");
        HoldfastConfig.Storage c = config(m);
        assertThat(c.type()).isEqualTo(HoldfastConfig.Backend.StorageType.S3);
        assertThat(c.s3().bucket()).contains("primary");
        assertThat(c.named()).containsOnlyKeys("offsite", "second-disk");
        assertThat(c.named().get("offsite").type()).isEqualTo(HoldfastConfig.Backend.StorageType.S3);
        assertThat(c.named().get("offsite").s3().bucket()).contains("far-away");
        assertThat(c.named().get("offsite").s3().region()).isEqualTo("eu-west-1");
        assertThat(c.named().get("offsite").s3().endpoint()).isEmpty();
        assertThat(c.named().get("second-disk").type()).isEqualTo(HoldfastConfig.Backend.StorageType.LOCAL);
        assertThat(c.named().get("second-disk").local().root()).isEqualTo("/mnt/second");
        assertThat(config(Map.of()).named()).isEmpty();
    }

    @Test
    void aCompleteS3ConfigurationBecomesSettings() {
        HoldfastConfig.Storage c = config(s3(
                "endpoint", "http://minio:9000",
                "bucket", "backups",
                "prefix", "/team/holdfast",
                "path-style", "true",
                "checksum-calculation", "when-supported",
                "part-size", "8M",
                "stale-upload-age", "2h"));
        assertThat(c.type()).isEqualTo(HoldfastConfig.Backend.StorageType.S3);
        assertThat(c.s3().checksumCalculation()).isEqualTo(HoldfastConfig.Backend.ChecksumMode.WHEN_SUPPORTED);
        assertThat(c.s3().staleUploadAge()).isEqualTo(Duration.ofHours(2));
        S3ArchiveStorage.Settings s = StorageProducer.settings(c.s3());
        assertThat(s.bucket()).isEqualTo("backups");
        assertThat(s.prefix()).isEqualTo("team/holdfast/");
        assertThat(s.partSize()).isEqualTo(8L * 1024 * 1024);
        assertThat(s.endpoint()).isEqualTo(URI.create("http://minio:9000"));
    }

    @Test
    void misconfigurationIsRefusedNamingTheKey() {
        assertThatThrownBy(() -> StorageProducer.settings(config(s3()).s3()))
                .hasMessageContaining("holdfast.storage.s3.bucket is required when the storage's type is s3");
        assertThatThrownBy(() -> StorageProducer.settings(
                        config(s3("bucket", "b", "part-size", "4M")).s3()))
                .hasMessageContaining("holdfast.storage.s3.part-size")
                .hasMessageContaining("5M");
        assertThatThrownBy(() -> StorageProducer.settings(
                        config(s3("bucket", "b", "access-key-id", "AKIA")).s3()))
                .hasMessageContaining("holdfast.storage.s3.secret-access-key");
        assertThatThrownBy(() -> StorageProducer.settings(
                        config(s3("bucket", "b", "endpoint", "minio:9000")).s3()))
                .hasMessageContaining("holdfast.storage.s3.endpoint");
        assertThatThrownBy(() -> config(Map.of("holdfast.storage.type", "ftp")))
                .hasMessageContaining("holdfast.storage.type")
                .hasMessageContaining("ftp");
        assertThatThrownBy(() -> config(s3("bucket", "b", "checksum-validation", "always")))
                .hasMessageContaining("holdfast.storage.s3.checksum-validation");
    }
}
