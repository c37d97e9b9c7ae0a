package dev.holdfast.cli;

/** A failure the CLI reports on stderr with one of {@link ExitCodes}, never with a stack trace. */
public final class CliException extends RuntimeException {
    private final int exitCode;

    public CliException(int exitCode, String message) {
        super(message);
        this.exitCode = exitCode;
    }

    public int exitCode() {
        return exitCode;
    }
}
