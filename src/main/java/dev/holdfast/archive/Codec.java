package dev.holdfast.archive;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import com.github.luben.zstd.RecyclingBufferPool;
import com.github.luben.zstd.ZstdInputStreamNoFinalizer;
import com.github.luben.zstd.ZstdOutputStreamNoFinalizer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Locale;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;

/** How one archive entry is compressed; every codec produces a stream the standard CLI tool reads. */
public enum Codec {
    /** Zstandard frames with a content checksum, so {@code zstd -t} can check an entry by hand. */
    ZSTD("zstd", ".zst", 3, 1, 22) {
        @Override
        public OutputStream compress(OutputStream out, int level) throws IOException {
            return compress(out, level, 0);
        }

        @Override
        public OutputStream compress(OutputStream out, int level, int windowLog) throws IOException {
            checkLevel(level);
            ZstdOutputStreamNoFinalizer z = new ZstdOutputStreamNoFinalizer(out, RecyclingBufferPool.INSTANCE);
            z.setLevel(level);
            if (windowLog > 0) {
                z.setWindowLog(windowLog);
            }
            z.setChecksum(true);
            // Parallelism comes from compressing several entries at once; zstd's own worker
            // threads would compete with them for the same cores and make memory use level-dependent.
            z.setWorkers(0);
            return z;
        }

        @Override
        public InputStream decompress(InputStream in) throws IOException {
            ZstdInputStreamNoFinalizer z = new ZstdInputStreamNoFinalizer(in, RecyclingBufferPool.INSTANCE);
            // Not continuous: a truncated frame must fail loudly instead of ending as a short entry.
            z.setContinuous(false);
            return z;
        }
    },
    /** gzip (deflate); slower than zstd, kept for environments that only have gzip at hand. */
    GZIP("gzip", ".gz", 6, 0, 9) {
        @Override
        public OutputStream compress(OutputStream out, int level) throws IOException {
            checkLevel(level);
            return new GZIPOutputStream(out, BUFFER) {
                {
                    def.setLevel(level);
                }
            };
        }

        @Override
        public InputStream decompress(InputStream in) throws IOException {
            return new GZIPInputStream(in, BUFFER);
        }
    },
    /** Stored as is: for data that is already compressed (JPEG, pg_dump custom format). */
    NONE("none", "", 0, 0, 0) {
        @Override
        public OutputStream compress(OutputStream out, int level) {
            return out;
        }

        @Override
        public InputStream decompress(InputStream in) {
            return in;
        }
    };

    private static final int BUFFER = 64 * 1024;

    private final String jsonName;
    private final String extension;
    private final int defaultLevel;
    private final int minLevel;
    private final int maxLevel;

    Codec(String jsonName, String extension, int defaultLevel, int minLevel, int maxLevel) {
        this.jsonName = jsonName;
        this.extension = extension;
        this.defaultLevel = defaultLevel;
        this.minLevel = minLevel;
        this.maxLevel = maxLevel;
    }

    /** Wraps {@code out} so bytes written are compressed at {@code level}; closing it closes {@code out}. */
    public abstract OutputStream compress(OutputStream out, int level) throws IOException;

    /**
     * As {@link #compress(OutputStream, int)}, with a match window of {@code 2^windowLog} bytes where the codec has one
     * (zstd; 0: the level's own). A window as large as a whole pack of small files finds what they repeat of each
     * other; {@code zstd -d} reads windows up to 128 MiB without options.
     */
    public OutputStream compress(OutputStream out, int level, int windowLog) throws IOException {
        return compress(out, level);
    }

    /** Wraps {@code out} with this codec's default level. */
    public OutputStream compress(OutputStream out) throws IOException {
        return compress(out, defaultLevel);
    }

    /** Wraps {@code in} so reads return the decompressed bytes. */
    public abstract InputStream decompress(InputStream in) throws IOException;

    /** The lower-case name used in JSON and configuration ({@code zstd}, {@code gzip}, {@code none}). */
    @JsonValue
    public String jsonName() {
        return jsonName;
    }

    /** The file extension of an entry compressed with this codec, with its dot, or empty. */
    public String extension() {
        return extension;
    }

    /** The level used when none is configured. */
    public int defaultLevel() {
        return defaultLevel;
    }

    /** The fastest level that still compresses (none's 0). */
    public int fastestLevel() {
        return this == NONE ? 0 : Math.max(1, minLevel);
    }

    /** Throws when {@code level} is outside what this codec accepts. */
    public void checkLevel(int level) {
        if (level < minLevel || level > maxLevel) {
            throw new IllegalArgumentException(
                    jsonName + " level must be between " + minLevel + " and " + maxLevel + ", got " + level);
        }
    }

    /** Parses a JSON or configuration name, case-insensitively. */
    @JsonCreator
    public static Codec fromName(String name) {
        String n = name == null ? "" : name.trim().toLowerCase(Locale.ROOT);
        for (Codec c : values()) {
            if (c.jsonName.equals(n)) {
                return c;
            }
        }
        throw new IllegalArgumentException("unknown codec '" + name + "', expected zstd, gzip or none");
    }
}
