package dev.holdfast.config;

import io.smallrye.config.WithDefault;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * Encryption at rest in the age format ({@code holdfast.encryption.*}): public recipients to write new archives to,
 * private identities (a mounted secret file) to read encrypted ones. Keys never appear in logs, answers, metrics or
 * the audit. A group of {@link HoldfastConfig}, reached as {@code config.encryption()}; see README "Encryption".
 */
public interface EncryptionConfig {

    /**
     * age X25519 recipients ({@code age1…}, from {@code age-keygen -y}) every new archive is encrypted to, e.g. the
     * operators' key and an offline escrow key; with neither this nor {@link #recipientsFile()}, archives are plain.
     */
    Optional<List<String>> recipients();

    /** A file of further recipients, one {@code age1…} per line, {@code #} comments allowed (as {@code age -R}). */
    Optional<Path> recipientsFile();

    /**
     * A file of private identities ({@code AGE-SECRET-KEY-1…} lines, as {@code age-keygen} writes), mounted as a
     * secret: needed only to verify, restore or import encrypted archives; any one of them opens an archive.
     */
    Optional<Path> identitiesFile();

    /** Refuse to start unless at least one recipient is configured, so no archive is ever written in the clear. */
    @WithDefault("false")
    boolean required();
}
