package dev.holdfast.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Writes down every exchange that passed the contract check ({@link ContractFilter} for REST Assured,
 * {@link SseClient} for event streams), one {@code METHOD path status} line per exchange, so that
 * {@code it/ContractCoverageIT} can tell which documented operations the suite has seen answer with a checked
 * 2xx body and which it never has. The directory is emptied by the build before the tests run (pom: clean
 * execution {@code contract-coverage}), so a record always belongs to the current run.
 */
public final class ContractCoverage {
    /** Where the records go; one file per test JVM. */
    public static final Path DIR = Path.of("target/contract-coverage");

    private static final Path FILE =
            DIR.resolve("exchanges-" + ProcessHandle.current().pid() + ".txt");

    private ContractCoverage() {}

    /** Records one exchange whose request and response matched the committed document. */
    public static synchronized void record(String method, String path, int status) {
        try {
            Files.createDirectories(DIR);
            Files.writeString(
                    FILE,
                    method + " " + path + " " + status + "\n",
                    StandardCharsets.UTF_8,
                    StandardOpenOption.CREATE,
                    StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
