package dev.holdfast.archive;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.SerializableString;
import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.ser.std.StdSerializer;
import com.fasterxml.jackson.databind.type.TypeFactory;
import dev.holdfast.archive.Manifest.MediaFile;
import dev.holdfast.archive.Manifest.MediaSection;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

/**
 * The {@code files} of media sections written as JSON once, for the manifest ({@link ManifestCodec#toBytes(Manifest,
 * WrittenFiles)}) and the catalog's file index of each root to share: 20,000 files are 7 MB of JSON, and writing them
 * twice, on both cores at once, was a tenth of an incremental backup. The manifest copies the bytes in place of the
 * list, so it is byte for byte what writing the list would give.
 */
public final class WrittenFiles {
    static final JavaType FILES = TypeFactory.defaultInstance().constructCollectionType(List.class, MediaFile.class);

    /** By the identity of a section's list: a manifest built from the sections holds the same lists. */
    private final Map<List<MediaFile>, ChunkedBytes> json = new IdentityHashMap<>();

    private WrittenFiles() {}

    /** Lists at least this long are written in parts, one per core, and the parts joined. */
    static final int SPLIT_AT = 4096;

    /**
     * Writes the files of each of {@code sections}. A long list is written in parts on the common pool (the files are
     * written as the media workers end, when the other cores are idle) and the parts joined: each element is written
     * on its own, so the bytes are those of writing the list at once. All of it is held in {@link ChunkedBytes}: as
     * arrays, the parts and their join were three humongous objects of 3.5 to 7 MB per backup of 20,000 files.
     */
    public static WrittenFiles of(List<MediaSection> sections) {
        WrittenFiles w = new WrittenFiles();
        int cores = Math.min(8, Runtime.getRuntime().availableProcessors());
        sections.forEach(s -> w.json.put(s.files(), write(s.files(), cores)));
        return w;
    }

    static ChunkedBytes write(List<MediaFile> files, int parts) {
        if (files.size() < SPLIT_AT || parts < 2) {
            return ManifestCodec.filesJson(files);
        }
        int n = files.size();
        List<ChunkedBytes> written = IntStream.range(0, parts)
                .parallel()
                .mapToObj(i -> ManifestCodec.filesJson(files.subList(i * n / parts, (i + 1) * n / parts)))
                .toList();
        // Each part is "[...]": the whole is "[" + the parts' insides joined by "," + "]".
        ChunkedBytes out = new ChunkedBytes();
        try {
            for (int i = 0; i < written.size(); i++) {
                ChunkedBytes part = written.get(i);
                out.write(i == 0 ? '[' : ',');
                part.writeTo(out, 1, part.size() - 1);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e); // ChunkedBytes writes to memory only
        }
        out.write(']');
        return out;
    }

    /** {@code json} as the written form of {@code files}: tests show with it that the bytes are copied. */
    WrittenFiles with(List<MediaFile> files, byte[] json) {
        ChunkedBytes b = new ChunkedBytes(json.length);
        b.write(json, 0, json.length);
        this.json.put(files, b);
        return this;
    }

    /** The JSON of {@code section}'s files (as {@link ManifestCodec#filesJson}), or null if it is not one of these. */
    public ChunkedBytes json(MediaSection section) {
        return json.get(section.files());
    }

    /** Writes a section's files: the bytes written already when there are some, else the list as usual. */
    public static final class Serializer extends StdSerializer<List<MediaFile>> {
        public Serializer() {
            super(FILES);
        }

        @Override
        public void serialize(List<MediaFile> files, JsonGenerator gen, SerializerProvider provider)
                throws IOException {
            WrittenFiles written = (WrittenFiles) provider.getAttribute(WrittenFiles.class);
            ChunkedBytes bytes = written == null ? null : written.json.get(files);
            if (bytes != null) {
                // The first chunk as the value (the generator adds its separator), the rest as raw bytes after it.
                boolean[] first = {true};
                bytes.forEachChunk((chunk, length) -> {
                    if (first[0]) {
                        gen.writeRawValue(new Raw(chunk, length));
                        first[0] = false;
                    } else {
                        gen.writeRaw(new Raw(chunk, length));
                    }
                });
            } else {
                provider.findValueSerializer(FILES).serialize(files, gen, provider);
            }
        }
    }

    /**
     * JSON text held as the first {@code length} UTF-8 bytes of {@code buf}, for
     * {@link JsonGenerator#writeRawValue(SerializableString)}. A chunk may end inside a multi-byte character: only the
     * byte methods are used by the byte generator, and they copy bytes as they are.
     */
    private record Raw(byte[] buf, int length) implements SerializableString {
        @Override
        public String getValue() {
            return new String(buf, 0, length, StandardCharsets.UTF_8);
        }

        @Override
        public int charLength() {
            return getValue().length();
        }

        @Override
        public char[] asQuotedChars() {
            throw new UnsupportedOperationException("raw JSON is never quoted");
        }

        @Override
        public byte[] asUnquotedUTF8() {
            return length == buf.length ? buf : java.util.Arrays.copyOf(buf, length);
        }

        @Override
        public byte[] asQuotedUTF8() {
            throw new UnsupportedOperationException("raw JSON is never quoted");
        }

        @Override
        public int appendQuotedUTF8(byte[] buffer, int offset) {
            throw new UnsupportedOperationException("raw JSON is never quoted");
        }

        @Override
        public int appendQuoted(char[] buffer, int offset) {
            throw new UnsupportedOperationException("raw JSON is never quoted");
        }

        @Override
        public int appendUnquotedUTF8(byte[] buffer, int offset) {
            if (offset + length > buffer.length) {
                return -1; // the generator then writes asUnquotedUTF8() itself
            }
            System.arraycopy(buf, 0, buffer, offset, length);
            return length;
        }

        @Override
        public int appendUnquoted(char[] buffer, int offset) {
            String s = getValue();
            if (offset + s.length() > buffer.length) {
                return -1;
            }
            s.getChars(0, s.length(), buffer, offset);
            return s.length();
        }

        @Override
        public int writeQuotedUTF8(OutputStream out) {
            throw new UnsupportedOperationException("raw JSON is never quoted");
        }

        @Override
        public int writeUnquotedUTF8(OutputStream out) throws IOException {
            out.write(buf, 0, length);
            return length;
        }

        @Override
        public int putQuotedUTF8(ByteBuffer buffer) {
            throw new UnsupportedOperationException("raw JSON is never quoted");
        }

        @Override
        public int putUnquotedUTF8(ByteBuffer buffer) {
            if (buffer.remaining() < length) {
                return -1;
            }
            buffer.put(buf, 0, length);
            return length;
        }
    }
}
