package dev.holdfast.archive;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Entry naming: the layout conventions, reversible percent-encoding of arbitrary identifiers and paths,
 * and the safety check every name passes on write and on read.
 */
public final class EntryNames {
    /**
     * The manifest stored as is, always the last entry but one: how archives before manifests were compressed hold
     * it, and how an archive whose codec is {@code none} still does. Others hold {@link #manifest(Codec)}.
     */
    public static final String MANIFEST = "manifest.json";
    /** The checksum of a {@link #MANIFEST} stored as is; in general {@link #manifestSum(String)}. */
    public static final String MANIFEST_SHA256 = manifestSum(MANIFEST);

    private static final List<String> MANIFESTS =
            java.util.Arrays.stream(Codec.values()).map(EntryNames::manifest).toList();

    private EntryNames() {}

    /** The manifest's name when it is stored with {@code codec}: {@code manifest.json} plus the codec's extension. */
    public static String manifest(Codec codec) {
        return MANIFEST + codec.extension();
    }

    /** The name of the {@code sha256sum} line of the manifest entry {@code manifestName}, always the last entry. */
    public static String manifestSum(String manifestName) {
        return manifestName + ".sha256";
    }

    /** Every name a manifest may have, one per codec. */
    public static List<String> manifestNames() {
        return MANIFESTS;
    }

    /** The codec a manifest entry of this name is stored with, or null when the name is no manifest's. */
    public static Codec manifestCodec(String name) {
        for (Codec c : Codec.values()) {
            if (manifest(c).equals(name)) {
                return c;
            }
        }
        return null;
    }

    /** Whether {@code name} is reserved for a manifest or its checksum (in any codec). */
    public static boolean isManifestFile(String name) {
        return manifestCodec(name) != null
                || (name.endsWith(".sha256") && manifestCodec(name.substring(0, name.length() - 7)) != null);
    }

    /** {@code databases/<source>/schema.dump}: the {@code pg_dump --schema-only -Fc} output. */
    public static String schema(String source) {
        return "databases/" + encodeIdentifier(source) + "/schema.dump";
    }

    /** {@code databases/<source>/data/<schema>.<table>.copy<ext>}: one table's COPY output. */
    public static String tableData(String source, String schema, String table, Codec codec) {
        return "databases/" + encodeIdentifier(source) + "/data/" + encodeIdentifier(schema) + "."
                + encodeIdentifier(table) + ".copy" + codec.extension();
    }

    /** {@code media/<source>/files/<relative path><ext>}: one media file, its path encoded segment by segment. */
    public static String mediaFile(String source, String relativePath, Codec codec) {
        StringBuilder b =
                new StringBuilder("media/").append(encodeIdentifier(source)).append("/files");
        for (String segment : relativePath.split("/", -1)) {
            if (segment.isEmpty()) {
                throw new IllegalArgumentException("media path has an empty segment: '" + relativePath + "'");
            }
            b.append('/').append(encodePathSegment(segment));
        }
        return b.append(codec.extension()).toString();
    }

    /** {@code media/<source>/packs/<number>.tar<ext>}: a pack of small media files ({@link EntryInfo#KIND_MEDIA_PACK}). */
    public static String mediaPack(String source, int number, Codec codec) {
        return "media/" + encodeIdentifier(source) + "/packs/" + String.format("%06d", number) + ".tar"
                + codec.extension();
    }

    /**
     * Encodes a SQL identifier or source name so it is one safe segment without dots: everything except
     * ASCII letters, digits, {@code _} and {@code -} becomes {@code %XX} of its UTF-8 bytes.
     */
    public static String encodeIdentifier(String s) {
        return encode(s, false);
    }

    /**
     * Encodes one file-name segment: dots and non-ASCII letters are kept so names stay readable, while
     * {@code %}, {@code /}, {@code \}, control characters and the segments {@code .} and {@code ..} are escaped.
     */
    public static String encodePathSegment(String s) {
        if (s.equals(".") || s.equals("..")) {
            return s.replace(".", "%2E");
        }
        return encode(s, true);
    }

    /** Reverses {@link #encodeIdentifier} and {@link #encodePathSegment}. */
    public static String decode(String s) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '%') {
                if (i + 2 >= s.length()) {
                    throw new IllegalArgumentException("truncated percent escape in '" + s + "'");
                }
                out.write(Integer.parseInt(s.substring(i + 1, i + 3), 16));
                i += 2;
            } else {
                byte[] bytes = String.valueOf(c).getBytes(StandardCharsets.UTF_8);
                if (Character.isHighSurrogate(c) && i + 1 < s.length()) {
                    bytes = s.substring(i, i + 2).getBytes(StandardCharsets.UTF_8);
                    i++;
                }
                out.write(bytes, 0, bytes.length);
            }
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    private static String encode(String s, boolean keepDotsAndUnicode) {
        if (s.isEmpty()) {
            throw new IllegalArgumentException("empty name segment");
        }
        StringBuilder b = new StringBuilder(s.length() + 8);
        int i = 0;
        while (i < s.length()) {
            int cp = s.codePointAt(i);
            int len = Character.charCount(cp);
            boolean plain = (cp >= 'a' && cp <= 'z')
                    || (cp >= 'A' && cp <= 'Z')
                    || (cp >= '0' && cp <= '9')
                    || cp == '_'
                    || cp == '-'
                    || (keepDotsAndUnicode && (cp == '.' || (cp > 0x7f && Character.isLetterOrDigit(cp))))
                    || (keepDotsAndUnicode && cp >= 0x20 && cp < 0x7f && "%/\\".indexOf(cp) < 0);
            if (plain) {
                b.appendCodePoint(cp);
            } else {
                for (byte x : s.substring(i, i + len).getBytes(StandardCharsets.UTF_8)) {
                    b.append('%')
                            .append(Character.toUpperCase(Character.forDigit((x >> 4) & 0xf, 16)))
                            .append(Character.toUpperCase(Character.forDigit(x & 0xf, 16)));
                }
            }
            i += len;
        }
        return b.toString();
    }

    /**
     * Throws unless {@code name} is a relative path of non-empty segments, none of them {@code .} or
     * {@code ..}, with no NUL, backslash or other control character: extracting it can never leave the
     * target directory, on any platform.
     */
    public static void requireSafe(String name) throws UnsafeEntryNameException {
        if (name == null || name.isEmpty()) {
            throw new UnsafeEntryNameException(String.valueOf(name), "empty name");
        }
        if (name.length() > 4096) {
            throw new UnsafeEntryNameException(name.substring(0, 64) + "...", "longer than 4096 characters");
        }
        if (name.startsWith("/")) {
            throw new UnsafeEntryNameException(name, "absolute path");
        }
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (c == 0) {
                throw new UnsafeEntryNameException(name, "contains NUL");
            }
            if (c == '\\') {
                throw new UnsafeEntryNameException(name, "contains a backslash");
            }
            if (c < 0x20 || c == 0x7f) {
                throw new UnsafeEntryNameException(name, "contains a control character");
            }
        }
        if (name.length() >= 2 && name.charAt(1) == ':' && Character.isLetter(name.charAt(0))) {
            throw new UnsafeEntryNameException(name, "drive-letter path");
        }
        for (String segment : name.split("/", -1)) {
            if (segment.isEmpty()) {
                throw new UnsafeEntryNameException(name, "empty path segment");
            }
            if (segment.equals("..")) {
                throw new UnsafeEntryNameException(name, "'..' segment");
            }
            if (segment.equals(".")) {
                throw new UnsafeEntryNameException(name, "'.' segment");
            }
        }
    }
}
