package dev.holdfast.job;

/**
 * Fired (as a CDI event, on the watchdog's thread) when a job running on this instance is reported stalled; it lives
 * in the job package so that the job layer fires it and the notification layer above observes it.
 */
public record JobStalled(JobStall stall) {}
