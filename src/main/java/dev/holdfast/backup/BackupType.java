package dev.holdfast.backup;

import com.fasterxml.jackson.annotation.JsonProperty;

/** What a backup holds: databases and media files, databases only, or media files only. */
public enum BackupType {
    @JsonProperty("full")
    FULL,
    @JsonProperty("database")
    DATABASE,
    @JsonProperty("media")
    MEDIA;

    /** The name used in JSON and in the catalog. */
    public String jsonName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }

    /** The type with this JSON name. */
    public static BackupType fromJson(String s) {
        return valueOf(s.toUpperCase(java.util.Locale.ROOT));
    }
}
