package dev.holdfast.archive;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.deser.std.StdScalarDeserializer;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.ser.std.StdScalarSerializer;
import com.fasterxml.jackson.datatype.jsr310.deser.InstantDeserializer;
import java.io.IOException;
import java.time.DateTimeException;
import java.time.Instant;
import java.time.LocalDate;

/**
 * The manifest's timestamps as text, exactly as {@link java.time.format.DateTimeFormatter#ISO_INSTANT} writes them
 * ({@code 2024-05-01T12:00:00.123Z}, the fraction in groups of three digits, none when zero), by hand. A manifest
 * lists the mtime and ctime of every media file, and the formatter's general machinery was half of writing a
 * 20,000-file manifest and most of reading one (bench part incr, profiled); anything outside years 0000-9999 or the
 * plain {@code ...Z} form goes through the standard formatter and parser, so the text read and written is unchanged.
 */
final class IsoInstant {
    private static final long MIN_SECOND = -62_167_219_200L; // 0000-01-01T00:00:00Z
    private static final long MAX_SECOND = 253_402_300_799L; // 9999-12-31T23:59:59Z
    private static final int[] POW10 = {1, 10, 100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000, 100_000_000};

    private IsoInstant() {}

    /** The Jackson module that reads and writes {@link Instant}s this way. */
    static SimpleModule module() {
        return new SimpleModule("holdfast-iso-instant")
                .addSerializer(Instant.class, new Serializer())
                .addDeserializer(Instant.class, new Deserializer());
    }

    /** {@code t} as ISO_INSTANT text. */
    static String format(Instant t) {
        char[] c = new char[30];
        int n = format(t, c);
        return n < 0 ? t.toString() : new String(c, 0, n);
    }

    /** Writes {@code t} into {@code c} (30 chars at least) and returns the length, or -1 when out of the fast range. */
    private static int format(Instant t, char[] c) {
        long s = t.getEpochSecond();
        if (s < MIN_SECOND || s > MAX_SECOND) {
            return -1;
        }
        LocalDate d = LocalDate.ofEpochDay(Math.floorDiv(s, 86_400L));
        int sod = (int) Math.floorMod(s, 86_400L);
        digits(c, 0, d.getYear(), 4);
        c[4] = '-';
        digits(c, 5, d.getMonthValue(), 2);
        c[7] = '-';
        digits(c, 8, d.getDayOfMonth(), 2);
        c[10] = 'T';
        digits(c, 11, sod / 3600, 2);
        c[13] = ':';
        digits(c, 14, sod / 60 % 60, 2);
        c[16] = ':';
        digits(c, 17, sod % 60, 2);
        int n = 19;
        int nano = t.getNano();
        if (nano != 0) {
            c[n++] = '.';
            if (nano % 1_000_000 == 0) {
                digits(c, n, nano / 1_000_000, 3);
                n += 3;
            } else if (nano % 1_000 == 0) {
                digits(c, n, nano / 1_000, 6);
                n += 6;
            } else {
                digits(c, n, nano, 9);
                n += 9;
            }
        }
        c[n++] = 'Z';
        return n;
    }

    private static void digits(char[] c, int at, int value, int width) {
        for (int i = at + width - 1; i >= at; i--) {
            c[i] = (char) ('0' + value % 10);
            value /= 10;
        }
    }

    /**
     * The instant {@code yyyy-MM-ddTHH:mm:ss[.f{1,9}]Z} at {@code c[off..off+len)} denotes, or null when the text has
     * another shape or an invalid field (the standard parser then decides, and explains what is wrong).
     */
    static Instant parse(char[] c, int off, int len) {
        if (len < 20 || len > 30 || c[off + len - 1] != 'Z') {
            return null;
        }
        int year = number(c, off, 4);
        int month = number(c, off + 5, 2);
        int day = number(c, off + 8, 2);
        int hour = number(c, off + 11, 2);
        int minute = number(c, off + 14, 2);
        int second = number(c, off + 17, 2);
        if (year < 0
                || month < 0
                || day < 0
                || hour < 0
                || minute < 0
                || second < 0
                || c[off + 4] != '-'
                || c[off + 7] != '-'
                || c[off + 10] != 'T'
                || c[off + 13] != ':'
                || c[off + 16] != ':'
                || hour > 23
                || minute > 59
                || second > 59) {
            return null;
        }
        int nano = 0;
        int fraction = len - 21; // digits between '.' and 'Z'
        if (len > 20) {
            if (c[off + 19] != '.' || fraction < 1 || fraction > 9) {
                return null;
            }
            nano = number(c, off + 20, fraction);
            if (nano < 0) {
                return null;
            }
            nano *= POW10[9 - fraction];
        }
        long epochDay;
        try {
            epochDay = LocalDate.of(year, month, day).toEpochDay();
        } catch (DateTimeException e) {
            return null;
        }
        return Instant.ofEpochSecond(epochDay * 86_400L + hour * 3600L + minute * 60L + second, nano);
    }

    /** The decimal number of {@code width} digits at {@code at}, or -1 when one is not a digit. */
    private static int number(char[] c, int at, int width) {
        int v = 0;
        for (int i = at; i < at + width; i++) {
            int digit = c[i] - '0';
            if (digit < 0 || digit > 9) {
                return -1;
            }
            v = v * 10 + digit;
        }
        return v;
    }

    private static final class Serializer extends StdScalarSerializer<Instant> {
        Serializer() {
            super(Instant.class);
        }

        @Override
        public void serialize(Instant value, JsonGenerator gen, SerializerProvider provider) throws IOException {
            char[] c = new char[30];
            int n = format(value, c);
            if (n < 0) {
                gen.writeString(value.toString());
            } else {
                gen.writeString(c, 0, n);
            }
        }
    }

    private static final class Deserializer extends StdScalarDeserializer<Instant> {
        Deserializer() {
            super(Instant.class);
        }

        @Override
        public Instant deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
            if (p.hasToken(JsonToken.VALUE_STRING)) {
                Instant t = parse(p.getTextCharacters(), p.getTextOffset(), p.getTextLength());
                if (t != null) {
                    return t;
                }
            }
            return InstantDeserializer.INSTANT.deserialize(p, ctxt);
        }
    }
}
