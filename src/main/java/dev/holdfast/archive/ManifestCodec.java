package dev.holdfast.archive;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import java.io.IOException;
import java.io.OutputStream;
import java.util.List;

/**
 * Reads and writes {@code manifest.json} with a mapper of its own, so the archive format never changes
 * because the application's REST mapper was reconfigured.
 */
public final class ManifestCodec {
    private static final ObjectMapper MAPPER = JsonMapper.builder()
            .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .addModule(new JavaTimeModule())
            // Registered after JavaTimeModule, so its Instant (de)serializers are the ones used.
            .addModule(IsoInstant.module())
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
            // Compact: an incremental backup's manifest lists every file of the tree, and indentation made a third of
            // its bytes (bench part incr). `jq .` shows it indented.
            .disable(SerializationFeature.INDENT_OUTPUT)
            .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS)
            // Newer writers may add fields; an older reader still verifies and restores what it knows.
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .disable(DeserializationFeature.ADJUST_DATES_TO_CONTEXT_TIME_ZONE)
            .build();

    private ManifestCodec() {}

    /** The manifest as compact UTF-8 JSON bytes, properties in declaration order, maps sorted for stable output. */
    public static byte[] toBytes(Manifest manifest) {
        try {
            return MAPPER.writeValueAsBytes(manifest);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("manifest cannot be serialised", e);
        }
    }

    /**
     * As {@link #toBytes(Manifest)}, copying the media files {@code written} already instead of writing them again; the
     * bytes are the same.
     */
    public static byte[] toBytes(Manifest manifest, WrittenFiles written) {
        try {
            return writer(written).writeValueAsBytes(manifest);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("manifest cannot be serialised", e);
        }
    }

    /**
     * Writes the manifest as {@link #toBytes(Manifest, WrittenFiles)} gives it (null {@code written}: as
     * {@link #toBytes(Manifest)} does) into {@code out}, closed after, so that
     * a 7 MB manifest goes straight into its compressor instead of first into an array of its own.
     */
    public static void write(Manifest manifest, WrittenFiles written, OutputStream out) throws IOException {
        writer(written).writeValue(out, manifest);
    }

    /** The manifest writer, copying the files {@code written} already (null: none). */
    private static ObjectWriter writer(WrittenFiles written) {
        return written == null ? MAPPER.writer() : MAPPER.writer().withAttribute(WrittenFiles.class, written);
    }

    /** A media section's {@code files} as the manifest writes them: compact UTF-8 JSON. */
    public static ChunkedBytes filesJson(List<Manifest.MediaFile> files) {
        ChunkedBytes out = new ChunkedBytes();
        try {
            MAPPER.writerFor(WrittenFiles.FILES).writeValue(out, files);
        } catch (IOException e) {
            throw new IllegalStateException("media files cannot be serialised", e);
        }
        return out;
    }

    /** Parses manifest bytes; refuses a format version this code does not know. */
    public static Manifest fromBytes(byte[] json) throws CorruptArchiveException {
        Manifest m;
        try {
            m = MAPPER.readValue(json, Manifest.class);
        } catch (IOException e) {
            throw new CorruptArchiveException("manifest.json is not a valid manifest: " + e.getMessage(), e);
        }
        if (m.formatVersion() < 1 || m.formatVersion() > Manifest.FORMAT_VERSION) {
            throw new CorruptArchiveException("manifest format_version " + m.formatVersion()
                    + " is not supported (this reader knows 1 to " + Manifest.FORMAT_VERSION + ")");
        }
        return m;
    }

    /** A copy of the manifest mapper, for callers building extension {@code JsonNode}s. */
    public static ObjectMapper mapper() {
        return MAPPER.copy();
    }
}
