package dev.holdfast.job;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.holdfast.api.ApiException;
import dev.holdfast.config.HoldfastConfig;
import dev.holdfast.time.TimeSource;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import jakarta.transaction.Transactional;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.HexFormat;
import java.util.List;
import java.util.UUID;
import java.util.function.Supplier;

/**
 * {@code Idempotency-Key} for requests that queue work (create a backup, restore one): the first request with a key
 * does the work and remembers its resource and job; a repeat with the same key and the same request answers those,
 * on any replica, instead of queueing the work twice (a CronJob's retry, a client that lost the response). The
 * same key with a different request is refused (422), as draft-ietf-httpapi-idempotency-key-header says.
 *
 * <p>The key is inserted first, in the transaction that creates the work: a concurrent repeat waits on the key's
 * row and then sees the committed first answer; a first request that fails leaves no key behind.
 */
@ApplicationScoped
public class IdempotencyKeys {
    /** The request header. */
    public static final String HEADER = "Idempotency-Key";

    /** The response header set on a replayed answer. */
    public static final String REPLAYED = "Idempotent-Replayed";

    /** What the work created: its resource and its job. */
    public record Outcome(UUID resourceId, UUID jobId, boolean replayed) {}

    @Inject
    EntityManager em;

    @Inject
    TimeSource time;

    @Inject
    HoldfastConfig config;

    @Inject
    ObjectMapper mapper;

    /**
     * Runs {@code work} once per {@code key} (per subject and operation) within the key's lifetime; without a key,
     * every time.
     *
     * @param operation names the operation and its target, e.g. {@code restore:<backup id>}
     * @param request what was asked; a repeat must ask the same
     * @param work creates the resource and queues its job, joining this transaction
     */
    @Transactional
    public Outcome once(String key, String operation, String subject, Object request, Supplier<Outcome> work) {
        if (key == null) {
            return work.get(); // no key, no memory: every request queues its work
        }
        check(key);
        String fingerprint = fingerprint(operation, request);
        Instant now = time.now();
        OffsetDateTime at = now.atOffset(ZoneOffset.UTC);
        em.createNativeQuery("DELETE FROM holdfast.idempotency_key WHERE expires_at < :now")
                .setParameter("now", at)
                .executeUpdate();
        int inserted = em.createNativeQuery("""
                        INSERT INTO holdfast.idempotency_key (subject, operation, key, request_sha256, created_at,
                                                              expires_at)
                        VALUES (:subject, :operation, :key, :sha, :now, :expires)
                        ON CONFLICT (subject, operation, key) DO NOTHING
                        """)
                .setParameter("subject", subject)
                .setParameter("operation", operation)
                .setParameter("key", key)
                .setParameter("sha", fingerprint)
                .setParameter("now", at)
                .setParameter(
                        "expires", now.plus(config.api().idempotencyKeyTtl()).atOffset(ZoneOffset.UTC))
                .executeUpdate();
        if (inserted == 0) {
            @SuppressWarnings("unchecked")
            List<Object[]> rows = em.createNativeQuery("""
                            SELECT request_sha256, resource_id, job_id FROM holdfast.idempotency_key
                             WHERE subject = :subject AND operation = :operation AND key = :key
                            """)
                    .setParameter("subject", subject)
                    .setParameter("operation", operation)
                    .setParameter("key", key)
                    .getResultList();
            Object[] row = rows.get(0);
            if (!fingerprint.equals(row[0])) {
                throw new ApiException.Unprocessable("Idempotency-Key '" + key + "' was used for a different request"
                        + " within the last " + config.api().idempotencyKeyTtl().toHours()
                        + " h; use a new key for a new request");
            }
            return new Outcome((UUID) row[1], (UUID) row[2], true);
        }
        Outcome done = work.get();
        em.createNativeQuery("""
                        UPDATE holdfast.idempotency_key SET resource_id = :resource, job_id = :job
                         WHERE subject = :subject AND operation = :operation AND key = :key
                        """)
                .setParameter("resource", done.resourceId())
                .setParameter("job", done.jobId())
                .setParameter("subject", subject)
                .setParameter("operation", operation)
                .setParameter("key", key)
                .executeUpdate();
        return done;
    }

    private static void check(String key) {
        if (key.isEmpty() || key.length() > 255) {
            throw ApiException.BadRequest.field(HEADER, "must be 1 to 255 characters");
        }
        for (int i = 0; i < key.length(); i++) {
            char c = key.charAt(i);
            if (c < 0x21 || c > 0x7e) {
                throw ApiException.BadRequest.field(HEADER, "must be visible ASCII characters (no spaces)");
            }
        }
    }

    private String fingerprint(String operation, Object request) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            md.update(operation.getBytes(StandardCharsets.UTF_8));
            md.update((byte) 0);
            md.update(mapper.writeValueAsBytes(request));
            return HexFormat.of().formatHex(md.digest());
        } catch (Exception e) {
            throw new IllegalStateException("Could not fingerprint the request", e);
        }
    }
}
