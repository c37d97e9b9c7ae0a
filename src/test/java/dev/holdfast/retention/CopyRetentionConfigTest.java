package dev.holdfast.retention;

import static org.assertj.core.api.Assertions.assertThat;

import dev.holdfast.storage.S3StorageConfigTest;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@code holdfast.storage."<name>".retention.*} becomes that storage's copy policy; a storage without one has none. */
class CopyRetentionConfigTest {
    @Test
    void eachNamedStorageGetsThePolicyItsKeysSay() {
        Map<String, RetentionPolicy> p = CopyRetention.policiesOf(S3StorageConfigTest.config(Map.of(
                "holdfast.storage.\"offsite\".type", "local",
                "holdfast.storage.\"offsite\".local.root", "/mnt/offsite",
                "holdfast.storage.\"offsite\".retention.keep-daily", "7",
                "holdfast.storage.\"offsite\".retention.keep-monthly", "12",
                "holdfast.storage.\"offsite\".retention.max-age", "400d",
                "holdfast.storage.\"second\".local.root", "/mnt/second")));
        assertThat(p).containsOnlyKeys("offsite");
        assertThat(p.get("offsite")).isEqualTo(new RetentionPolicy(null, 7, null, 12, null, null, "400d"));
        assertThat(RetentionService.violations(p.get("offsite"), "x.")).isEmpty();
        assertThat(RetentionService.violations(new RetentionPolicy(null, null, null, null, null, null, "soon"), "x."))
                .extracting(v -> v.field())
                .containsExactly("x.max_age");
    }
}
