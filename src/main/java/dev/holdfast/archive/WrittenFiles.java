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
    private final Map<List<MediaFile>, byte[]> json = new IdentityHashMap<>();

    private WrittenFiles() {}

    /** Lists at least this long are written in parts, one per core, and the parts joined. */
    static final int SPLIT_AT = 4096;

    /**
     * Writes the files of each of {@code sections}. A long list is written in parts on the common pool (the files are
     * written as the media workers end, when the other cores are idle) and the parts joined into one array: each
     * element is written on its own, so the bytes are those of writing the list at once.
     */
    public static WrittenFiles of(List<MediaSection> sections) {
        WrittenFiles w = new WrittenFiles();
        int cores = Math.min(8, Runtime.getRuntime().availableProcessors());
        sections.forEach(s -> w.json.put(s.files(), write(s.files(), cores)));
        return w;
    }

    static byte[] write(List<MediaFile> files, int parts) {
        if (files.size() < SPLIT_AT || parts < 2) {
            return ManifestCodec.filesJson(files);
        }
        int n = files.size();
        List<byte[]> written = IntStream.range(0, parts)
                .parallel()
                .mapToObj(i -> ManifestCodec.filesJson(files.subList(i * n / parts, (i + 1) * n / parts)))
                .toList();
        // Each part is "[...]": the whole is "[" + the parts' insides joined by "," + "]".
        int length = 1;
        for (byte[] part : written) {
            length += part.length - 2 + 1;
        }
        byte[] out = new byte[length];
        int at = 0;
        for (int i = 0; i < written.size(); i++) {
            byte[] part = written.get(i);
            out[at++] = (byte) (i == 0 ? '[' : ',');
            System.arraycopy(part, 1, out, at, part.length - 2);
            at += part.length - 2;
        }
        out[at] = ']';
        return out;
    }

    /** {@code json} as the written form of {@code files}: tests show with it that the bytes are copied. */
    WrittenFiles with(List<MediaFile> files, byte[] json) {
        this.json.put(files, json);
        return this;
    }

    /** The JSON of {@code section}'s files (as {@link ManifestCodec#filesJson}), or null if it is not one of these. */
    public byte[] json(MediaSection section) {
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
            byte[] bytes = written == null ? null : written.json.get(files);
            if (bytes != null) {
                gen.writeRawValue(new Raw(bytes));
            } else {
                provider.findValueSerializer(FILES).serialize(files, gen, provider);
            }
        }
    }

    /** JSON text held as UTF-8 bytes, for {@link JsonGenerator#writeRawValue(SerializableString)}. */
    private record Raw(byte[] utf8) implements SerializableString {
        @Override
        public String getValue() {
            return new String(utf8, StandardCharsets.UTF_8);
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
            return utf8;
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
            if (offset + utf8.length > buffer.length) {
                return -1; // the generator then writes asUnquotedUTF8() itself
            }
            System.arraycopy(utf8, 0, buffer, offset, utf8.length);
            return utf8.length;
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
            out.write(utf8);
            return utf8.length;
        }

        @Override
        public int putQuotedUTF8(ByteBuffer buffer) {
            throw new UnsupportedOperationException("raw JSON is never quoted");
        }

        @Override
        public int putUnquotedUTF8(ByteBuffer buffer) {
            if (buffer.remaining() < utf8.length) {
                return -1;
            }
            buffer.put(utf8);
            return utf8.length;
        }
    }
}
