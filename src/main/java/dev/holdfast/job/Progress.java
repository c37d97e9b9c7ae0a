package dev.holdfast.job;

import com.fasterxml.jackson.annotation.JsonInclude;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/**
 * A snapshot of how far a job has come. Every field is optional; percent and ETA are derived from
 * bytes (or items) done and total when the job does not give them.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@Schema(description = "Progress snapshot of a running job")
public record Progress(
        @Schema(description = "Current phase, e.g. snapshot, copy, verify")
        String phase,

        @Schema(description = "Overall completion, 0 to 100")
        Double percent,

        @Schema(description = "Bytes processed so far") Long bytesDone,

        @Schema(description = "Bytes expected in total (an estimate for database tables)")
        Long bytesTotal,

        @Schema(description = "Items (tables, files) processed so far")
        Long itemsDone,

        @Schema(description = "Items expected in total") Long itemsTotal,
        @Schema(description = "Item being processed now") String currentItem,

        @Schema(description = "Estimated seconds until the job ends")
        Long etaSeconds,

        @Schema(description = "Human-readable status") String message,

        @Schema(description = "Rows copied so far (database backups: rows of the tables finished)")
        Long rowsDone,

        @Schema(description = "Rows expected in total (the server's estimate, never below rows_done)")
        Long rowsTotal) {

    /** A snapshot without row counts (every job but a database backup's copy phase). */
    public Progress(
            String phase,
            Double percent,
            Long bytesDone,
            Long bytesTotal,
            Long itemsDone,
            Long itemsTotal,
            String currentItem,
            Long etaSeconds,
            String message) {
        this(
                phase,
                percent,
                bytesDone,
                bytesTotal,
                itemsDone,
                itemsTotal,
                currentItem,
                etaSeconds,
                message,
                null,
                null);
    }

    private static final int MAX_TEXT = 500;

    /** A progress snapshot carrying only a phase and a message. */
    public static Progress phase(String phase, String message) {
        return new Progress(phase, null, null, null, null, null, null, null, message);
    }

    /** Fills in percent (from bytes, else items) and ETA (from the elapsed time), and bounds text sizes. */
    Progress complete(long elapsedMillis) {
        Double p = percent;
        if (p == null && bytesTotal != null && bytesTotal > 0 && bytesDone != null) {
            p = Math.min(100.0, 100.0 * bytesDone / bytesTotal);
        } else if (p == null && itemsTotal != null && itemsTotal > 0 && itemsDone != null) {
            p = Math.min(100.0, 100.0 * itemsDone / itemsTotal);
        }
        Long eta = etaSeconds;
        if (eta == null && p != null && p > 0.5 && p < 100.0) {
            eta = Math.round(elapsedMillis / 1000.0 * (100.0 - p) / p);
        }
        if (p != null) {
            p = Math.round(p * 10.0) / 10.0;
        }
        return new Progress(
                phase,
                p,
                bytesDone,
                bytesTotal,
                itemsDone,
                itemsTotal,
                cut(currentItem),
                eta,
                cut(message),
                rowsDone,
                rowsTotal);
    }

    private static String cut(String s) {
        return s == null || s.length() <= MAX_TEXT ? s : s.substring(0, MAX_TEXT - 1) + "…";
    }
}
