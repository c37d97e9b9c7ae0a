package dev.holdfast.time;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Keeps {@link TimeSource} the only wall clock of src/main, so that a test that moves it moves every timestamp the
 * service takes; engines without CDI take a {@link java.time.Clock} from their caller instead.
 */
class ClockSourceTest {
    private static final Path MAIN = Path.of("src/main/java");

    /** Reads of the wall clock: {@code X.now(...)}, the system clocks and the epoch milliseconds. */
    private static final Pattern WALL_CLOCK = Pattern.compile(
            "\\b(Instant|OffsetDateTime|LocalDate|LocalDateTime|LocalTime|ZonedDateTime|OffsetTime|Year|YearMonth"
                    + "|MonthDay)\\s*(\\.\\s*now\\b|::\\s*now\\b)"
                    + "|\\bClock\\.system(UTC|DefaultZone)?\\b|\\bSystem\\.currentTimeMillis\\b|\\bnew Date\\(\\)");

    /** Files allowed to read the system clock, each with the one line it may do so in, and why. */
    private static final Map<String, List<String>> ALLOWED = Map.of(
            // The one source itself.
            "dev/holdfast/time/TimeSource.java", List.of("return Clock.systemUTC();"),
            // Compares with file modification times, which the operating system stamps with its own clock: a moved
            // TimeSource must not make another instance's live temp file look stale.
            "dev/holdfast/storage/LocalArchiveStorage.java", List.of("Instant cutoff = Clock.systemUTC().instant()"),
            // Compares with the object store's upload timestamps, which its own (real) clock stamps.
            "dev/holdfast/storage/S3ArchiveStorage.java", List.of("Instant cutoff = Clock.systemUTC().instant()"),
            // Defaults of plain engines for callers outside the service (tests, tools); the service passes
            // TimeSource.clock().
            "dev/holdfast/archive/ArchiveWriter.java",
                    List.of(
                            "entryTime == null ? Clock.systemUTC().instant()",
                            "return defaults(spoolDir, maxSize, Clock.systemUTC());"),
            "dev/holdfast/backup/DatabaseBackup.java", List.of("private Clock clock = Clock.systemUTC();"),
            // The command line is a program of its own (it uses no other Holdfast package, TimeSource included):
            // its clock times waits and token expiry, and the health check's "now".
            "dev/holdfast/cli/HoldfastCli.java", List.of("Clock clock = Clock.systemUTC();"),
            "dev/holdfast/cli/StatusCommand.java", List.of("Instant now = java.time.Clock.systemUTC().instant();"),
            // A Qute template extension is static (no injected TimeSource): it only words a displayed age ("3 h
            // ago"); nothing is decided from it.
            "dev/holdfast/web/Formats.java",
                    List.of("return i == null ? \"never\" : age(Duration.between(i, Instant.now())) + \" ago\";"));

    @Test
    void onlyTimeSourceReadsTheWallClock() throws IOException {
        List<String> stray = new ArrayList<>();
        try (Stream<Path> files = Files.walk(MAIN)) {
            for (Path f :
                    files.filter(p -> p.toString().endsWith(".java")).sorted().toList()) {
                String rel = MAIN.relativize(f).toString().replace('\\', '/');
                List<String> lines = Files.readAllLines(f);
                for (int i = 0; i < lines.size(); i++) {
                    String line = lines.get(i);
                    String code = line.strip();
                    if (code.startsWith("*") || code.startsWith("/*") || code.startsWith("//")) {
                        continue; // Javadoc and comments may name Instant.now() to explain why it is not used
                    }
                    if (WALL_CLOCK.matcher(line).find()
                            && ALLOWED.getOrDefault(rel, List.of()).stream().noneMatch(line::contains)) {
                        stray.add(rel + ":" + (i + 1) + ": " + code);
                    }
                }
            }
        }
        assertThat(stray)
                .as("wall clock read outside TimeSource; inject TimeSource or pass its clock()")
                .isEmpty();
    }

    @Test
    void theAllowListNamesOnlyLinesThatExist() throws IOException {
        // A stale entry would silently allow a new read elsewhere in that file.
        for (Map.Entry<String, List<String>> e : ALLOWED.entrySet()) {
            String text = Files.readString(MAIN.resolve(e.getKey()));
            for (String line : e.getValue()) {
                assertThat(text).as(e.getKey()).contains(line);
            }
        }
    }
}
