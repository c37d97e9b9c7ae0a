package dev.holdfast.cli;

/**
 * The CLI's exit codes: distinct, stable and documented (docs/cli.md), so that a Kubernetes CronJob's
 * {@code podFailurePolicy} can retry what is worth retrying and fail fast on the rest.
 */
public final class ExitCodes {
    /** The command did what it was asked; with {@code --wait}, the job succeeded. */
    public static final int OK = 0;
    /** The job ran and failed (or was cancelled), a verification found damage, or {@code status} found a warning. */
    public static final int FAILED = 1;
    /** Bad options or configuration, or the service refused the request as invalid (400, 404, 413, 415, 422). */
    public static final int USAGE = 2;
    /** No valid credentials (401), a role too weak for the command (403), or the token could not be obtained. */
    public static final int AUTH = 3;
    /** The service could not be reached, timed out or answered 5xx/429: worth a retry later. */
    public static final int UNAVAILABLE = 4;
    /** {@code --wait} reached {@code --timeout} while the job still runs (it goes on running). */
    public static final int WAIT_TIMEOUT = 5;
    /** The service refused because of the state of things (409): already running, protected, in use. */
    public static final int CONFLICT = 6;

    private ExitCodes() {}

    /** The exit code for an HTTP error status. */
    static int forStatus(int status) {
        if (status == 401 || status == 403) {
            return AUTH;
        }
        if (status == 409) {
            return CONFLICT;
        }
        if (status >= 500 || status == 429 || status == 408) {
            return UNAVAILABLE;
        }
        return USAGE;
    }
}
