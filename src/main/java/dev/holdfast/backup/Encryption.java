package dev.holdfast.backup;

import dev.holdfast.config.EncryptionConfig;
import dev.holdfast.crypto.AgeException;
import dev.holdfast.crypto.AgeIdentities;
import dev.holdfast.crypto.AgeKeys;
import dev.holdfast.crypto.AgeRecipient;
import io.quarkus.runtime.Startup;
import jakarta.annotation.PostConstruct;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.ArrayList;
import java.util.List;
import org.jboss.logging.Logger;

/**
 * This instance's age keys from {@code holdfast.encryption.*}, checked at start-up: a recipient that does not
 * parse, {@code required} without a recipient, or an identities file that cannot be read or holds no identity stops
 * the start with a message naming the key (never a key itself). Recipients encrypt new archives; identities read
 * encrypted ones, old and new.
 */
@Startup
@ApplicationScoped
public class Encryption {
    private static final Logger LOG = Logger.getLogger(Encryption.class);

    @Inject
    EncryptionConfig config;

    private List<AgeRecipient> recipients = List.of();
    private AgeIdentities identities = AgeIdentities.none();

    @PostConstruct
    void load() {
        try {
            List<AgeRecipient> rs = new ArrayList<>();
            List<String> configured = config.recipients().orElse(List.of());
            for (int i = 0; i < configured.size(); i++) {
                rs.add(AgeRecipient.parse(
                        configured.get(i), "recipient " + (i + 1) + " of holdfast.encryption.recipients"));
            }
            if (config.recipientsFile().isPresent()) {
                rs.addAll(AgeRecipient.readFile(config.recipientsFile().get(), "holdfast.encryption.recipients-file"));
            }
            if (config.required() && rs.isEmpty()) {
                throw new AgeException("holdfast.encryption.required is true but no recipient is configured"
                        + " (holdfast.encryption.recipients or holdfast.encryption.recipients-file)");
            }
            if (config.identitiesFile().isPresent()) {
                identities =
                        AgeIdentities.readFile(config.identitiesFile().get(), "holdfast.encryption.identities-file");
            }
            recipients = List.copyOf(rs);
        } catch (AgeException e) {
            throw new IllegalStateException("Holdfast refuses to start: " + e.getMessage());
        }
        if (!recipients.isEmpty()) {
            LOG.infof(
                    "New archives are encrypted with age to %d recipient(s): %s; %s configured for reading",
                    recipients.size(),
                    String.join(", ", fingerprints()),
                    identities.size() == 0 ? "no identity" : identities.size() + " identity(ies)");
        }
    }

    /** Whether new archives are encrypted. */
    public boolean enabled() {
        return !recipients.isEmpty();
    }

    /** The recipients new archives are encrypted to (empty: plain archives). */
    public List<AgeRecipient> recipients() {
        return recipients;
    }

    /** The recipients' fingerprints, as manifest and catalog record them. */
    public List<String> fingerprints() {
        return recipients.stream().map(AgeRecipient::fingerprint).toList();
    }

    /** The identities that decrypt archives (none: reading an encrypted archive fails, naming the setting). */
    public AgeKeys identities() {
        return identities;
    }
}
