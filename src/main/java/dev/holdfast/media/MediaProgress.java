package dev.holdfast.media;

import java.time.Duration;

/**
 * A snapshot of a media backup's or restore's progress, for the job's progress bus.
 *
 * @param filesDone files finished (stored, skipped or restored)
 * @param filesTotal files found by the pre-scan
 * @param bytesDone bytes of file content read or written so far
 * @param bytesTotal bytes of file content found by the pre-scan
 * @param currentFile the relative path being worked on, or null between files
 * @param elapsed time since the operation started
 */
public record MediaProgress(
        long filesDone, long filesTotal, long bytesDone, long bytesTotal, String currentFile, Duration elapsed) {

    /** Estimated time left from the byte rate so far, or null while nothing has been measured. */
    public Duration eta() {
        if (bytesDone <= 0 || elapsed.isZero()) {
            return null;
        }
        double perByte = (double) elapsed.toNanos() / bytesDone;
        return Duration.ofNanos((long) (perByte * Math.max(0, bytesTotal - bytesDone)));
    }

    /** Receives progress; called from worker threads, one call at a time. */
    @FunctionalInterface
    public interface Listener {
        void onProgress(MediaProgress progress);
    }
}
