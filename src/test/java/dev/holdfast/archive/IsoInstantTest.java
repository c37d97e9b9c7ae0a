package dev.holdfast.archive;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Instant;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The hand-written timestamp text is exactly the standard formatter's, and reads back what the standard one reads. */
class IsoInstantTest {
    private static final ObjectMapper MAPPER = ManifestCodec.mapper();

    record Holder(Instant at) {}

    @Test
    void writesWhatInstantToStringWritesAndReadsItBack() throws Exception {
        Random rnd = new Random(42);
        List<Instant> edges = List.of(
                Instant.parse("0000-01-01T00:00:00Z"),
                Instant.parse("9999-12-31T23:59:59.999999999Z"),
                Instant.parse("1970-01-01T00:00:00Z"),
                Instant.parse("1969-12-31T23:59:59.5Z"),
                Instant.parse("2024-02-29T12:00:00.100Z"),
                Instant.parse("2024-05-01T00:00:00.000001Z"),
                Instant.parse("2024-05-01T00:00:00.120300Z"),
                Instant.parse("2024-05-01T00:00:00.000000001Z"),
                Instant.ofEpochSecond(253_402_300_800L), // year 10000: the standard formatter's "+10000"
                Instant.ofEpochSecond(-62_167_219_201L), // year -1
                Instant.MIN,
                Instant.MAX);
        for (int i = 0; i < 20_000 + edges.size(); i++) {
            Instant t = i < edges.size()
                    ? edges.get(i)
                    : Instant.ofEpochSecond(
                            rnd.nextLong(-62_167_219_200L, 253_402_300_800L),
                            switch (i % 4) {
                                case 0 -> 0;
                                case 1 -> rnd.nextInt(1000) * 1_000_000;
                                case 2 -> rnd.nextInt(1_000_000) * 1_000;
                                default -> rnd.nextInt(1_000_000_000);
                            });
            assertEquals(t.toString(), IsoInstant.format(t), "format of " + t);
            String json = MAPPER.writeValueAsString(new Holder(t));
            assertEquals("{\"at\":\"" + t + "\"}", json);
            assertEquals(t, MAPPER.readValue(json, Holder.class).at(), json);
        }
    }

    @Test
    void textOfAnotherShapeIsLeftToTheStandardParser() throws Exception {
        // Valid ISO-8601 the fast path does not take: still read, by the standard parser.
        for (String text : List.of("2024-05-01T00:00:00.1Z", "+10000-01-01T00:00:00Z", "2024-05-01T00:00:00.12345Z")) {
            char[] c = text.toCharArray();
            if (text.startsWith("+")) {
                assertNull(IsoInstant.parse(c, 0, c.length));
            }
            assertEquals(
                    Instant.parse(text),
                    MAPPER.readValue("{\"at\":\"" + text + "\"}", Holder.class).at());
        }
        // Text the fast path declines reads exactly as the standard parser reads it, or fails as it fails.
        for (String text : List.of(
                "2023-02-29T00:00:00Z",
                "2024-13-01T00:00:00Z",
                "2024-05-01T24:00:00Z",
                "2024-05-01T00:60:00Z",
                "2024-05-01T00:00:00.Z",
                "2024-05-01T00:00:00.1234567890Z",
                "2024-05-01 00:00:00Z",
                "2024-05-01T00:00:0xZ")) {
            char[] c = text.toCharArray();
            assertNull(IsoInstant.parse(c, 0, c.length), text);
            Instant standard;
            try {
                standard = Instant.parse(text);
            } catch (java.time.format.DateTimeParseException e) {
                standard = null;
            }
            if (standard == null) {
                assertThrows(Exception.class, () -> MAPPER.readValue("{\"at\":\"" + text + "\"}", Holder.class), text);
            } else {
                assertEquals(
                        standard,
                        MAPPER.readValue("{\"at\":\"" + text + "\"}", Holder.class)
                                .at(),
                        text);
            }
        }
        // Epoch seconds (not what Holdfast writes) still read as the standard deserializer reads them.
        assertEquals(
                Instant.ofEpochSecond(5),
                MAPPER.readValue("{\"at\":5}", Holder.class).at());
    }
}
