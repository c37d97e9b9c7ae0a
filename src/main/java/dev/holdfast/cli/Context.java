package dev.holdfast.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintStream;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;

/** What a command works with: the API, the output, the job follower and the terminal; and the few things they share. */
record Context(
        ApiClient api,
        Output output,
        JobFollower follower,
        HoldfastCli.Terminal terminal,
        PrintStream err,
        Map<String, String> env) {

    /**
     * The Idempotency-Key for a create: the one given, else {@code HOLDFAST_IDEMPOTENCY_KEY} (the CronJob sets it to
     * its Job's name, which is the same for every retried pod of one scheduled run), else a new one for this
     * invocation (so the CLI's own retries never duplicate work).
     */
    String idempotencyKey(String given) {
        if (given != null && !given.isBlank()) {
            return given;
        }
        String fromEnv = env.get("HOLDFAST_IDEMPOTENCY_KEY");
        if (fromEnv != null && !fromEnv.isBlank()) {
            return fromEnv.strip();
        }
        return UUID.randomUUID().toString();
    }

    /**
     * Goes on only when {@code yes} was given, or a person at the terminal types {@code expected}; without a
     * terminal and without {@code --yes} it refuses (a script never destroys data by default).
     */
    void confirm(boolean yes, String question, String expected) {
        if (yes) {
            return;
        }
        if (!terminal.interactive()) {
            throw new CliException(
                    ExitCodes.USAGE, question + " Refused: not interactive; add --yes to confirm from a script.");
        }
        err.print(question + " Type '" + expected + "' to go on: ");
        err.flush();
        String answer = terminal.readLine();
        if (answer == null || !answer.strip().equals(expected)) {
            throw new CliException(ExitCodes.USAGE, "not confirmed; nothing was done");
        }
    }

    /** Follows the job and answers it as it ended; {@link ExitCodes#WAIT_TIMEOUT} if the timeout comes first. */
    JsonNode waitFor(JsonNode job, Duration timeout) {
        return follower.follow(job.path("id").asText(), timeout);
    }

    /** The exit code for a finished job, telling stderr why when it did not succeed. */
    int outcome(JsonNode job, String what) {
        String state = job.path("state").asText();
        if ("SUCCEEDED".equals(state)) {
            return ExitCodes.OK;
        }
        String error = job.path("error").asText("");
        err.println("holdfast: " + what + " " + state + (error.isEmpty() ? "" : ": " + error));
        return ExitCodes.FAILED;
    }
}
