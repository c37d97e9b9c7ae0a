package dev.holdfast.schedule;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.holdfast.backup.BackupRequest;
import java.util.ArrayList;
import java.util.List;

/** How a schedule's JSON columns are written and read: snake_case like the API, null fields left out. */
final class Schedules {
    private Schedules() {}

    /** A record as a JSON object without its null fields; null stays null. */
    static JsonNode toJson(ObjectMapper mapper, Object value) {
        if (value == null) {
            return null;
        }
        JsonNode node = mapper.valueToTree(value);
        if (node instanceof ObjectNode o) {
            List<String> nulls = new ArrayList<>();
            o.fieldNames().forEachRemaining(f -> {
                if (o.get(f).isNull()) {
                    nulls.add(f);
                }
            });
            o.remove(nulls);
        }
        return node;
    }

    /** The backup a run creates: the stored request, named after the schedule unless it names itself. */
    static BackupRequest backupRequest(ObjectMapper mapper, String json, String scheduleName)
            throws JsonProcessingException {
        BackupRequest r = mapper.readValue(json == null || json.isBlank() ? "{}" : json, BackupRequest.class);
        if (r.name() != null && !r.name().isBlank()) {
            return r;
        }
        return new BackupRequest(
                scheduleName,
                r.backupType(),
                r.description(),
                r.includeMedia(),
                r.compressBackup(),
                r.compression(),
                r.databases(),
                r.media(),
                r.includeSchemas(),
                r.excludeSchemas(),
                r.includeTables(),
                r.excludeTables(),
                r.schemaOnlyTables(),
                r.mediaInclude(),
                r.mediaExclude(),
                r.copyTo(),
                r.incremental(),
                r.rehash(),
                r.fullEvery());
    }
}
