package dev.holdfast.backup;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.holdfast.archive.Manifest;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** The catalog's JSON columns hold values that read back equal, so Hibernate's dirty check sees no change. */
class BackupJsonColumnTest {
    private final ObjectMapper mapper = new ObjectMapper().findAndRegisterModules();

    @Test
    void aSummaryReadsBackEqualToWhatWasSet() throws Exception {
        BackupSummary summary =
                BackupSummary.of(Manifest.of("b", "name", "media", Instant.parse("2026-12-05T10:00:00Z")), 123_456L);
        JsonNode column = Backup.json(mapper, summary);
        // Hibernate's snapshot is the column's text parsed again.
        assertThat(mapper.readTree(column.toString())).isEqualTo(column);
        assertThat(column.get("archiveBytes").asLong()).isEqualTo(123_456L);
        // What Backup.json guards against: valueToTree keeps longs as LongNode, parsing gives IntNode.
        assertThat(mapper.readTree(mapper.writeValueAsString(summary))).isNotEqualTo(mapper.valueToTree(summary));
    }
}
