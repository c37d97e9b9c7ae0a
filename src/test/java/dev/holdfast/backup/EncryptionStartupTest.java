package dev.holdfast.backup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.holdfast.config.EncryptionConfig;
import dev.holdfast.crypto.AgeCli;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Misconfigured encryption stops the start with a message naming the setting, and never a key. */
class EncryptionStartupTest {
    @TempDir
    Path dir;

    record Config(
            Optional<List<String>> recipients,
            Optional<Path> recipientsFile,
            Optional<Path> identitiesFile,
            boolean required)
            implements EncryptionConfig {}

    static Encryption load(Config c) {
        Encryption e = new Encryption();
        e.config = c;
        e.load();
        return e;
    }

    @Test
    void startUpRefusesKeysThatDoNotParseAndRequiredWithoutRecipients() throws Exception {
        AgeCli.KeyPair k = AgeCli.keygen(dir.resolve("k.txt"));
        String secret = Files.readAllLines(k.identityFile()).stream()
                .filter(l -> l.startsWith("AGE-SECRET-KEY-1"))
                .findFirst()
                .orElseThrow();

        assertThatThrownBy(() -> load(new Config(
                        Optional.of(List.of(k.recipient(), "age1garbage")), Optional.empty(), Optional.empty(), false)))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("recipient 2 of holdfast.encryption.recipients");
        assertThatThrownBy(
                        () -> load(new Config(Optional.of(List.of(secret)), Optional.empty(), Optional.empty(), true)))
                .hasMessageContaining("recipient 1 of holdfast.encryption.recipients")
                .hasMessageContaining("secret identity")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain(secret.substring(16)));
        assertThatThrownBy(() -> load(new Config(Optional.empty(), Optional.empty(), Optional.empty(), true)))
                .hasMessageContaining("holdfast.encryption.required is true but no recipient is configured");
        Path noKeys = Files.writeString(dir.resolve("none.txt"), "# empty\n");
        assertThatThrownBy(() -> load(
                        new Config(Optional.of(List.of(k.recipient())), Optional.empty(), Optional.of(noKeys), false)))
                .hasMessageContaining("holdfast.encryption.identities-file")
                .hasMessageContaining("holds no age identity");
        assertThatThrownBy(() -> load(
                        new Config(Optional.empty(), Optional.of(dir.resolve("missing.txt")), Optional.empty(), false)))
                .hasMessageContaining("holdfast.encryption.recipients-file")
                .hasMessageContaining("cannot be read");

        Encryption ok = load(new Config(
                Optional.empty(),
                Optional.of(Files.writeString(dir.resolve("r.txt"), "# ops\n" + k.recipient() + "\n")),
                Optional.of(k.identityFile()),
                true));
        assertThat(ok.enabled()).isTrue();
        assertThat(ok.fingerprints()).hasSize(1).allMatch(f -> f.matches("[0-9a-f]{16}"));
        assertThat(ok.identities().toString()).doesNotContain("AGE-SECRET");
        assertThat(load(new Config(Optional.empty(), Optional.empty(), Optional.empty(), false))
                        .enabled())
                .as("off by default")
                .isFalse();
    }
}
