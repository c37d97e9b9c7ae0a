package dev.holdfast.audit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.holdfast.security.CurrentUser;
import io.quarkus.arc.Arc;
import io.quarkus.arc.ManagedContext;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.transaction.Transactional;
import org.jboss.logging.Logger;

/**
 * Writes the audit trail. Each event is written in its own transaction, so an action that fails and
 * rolls back is still recorded with its outcome; a failure to write the trail is logged, never thrown
 * at the action it describes.
 */
@ApplicationScoped
public class AuditLog {
    private static final Logger LOG = Logger.getLogger(AuditLog.class);

    /** The actor recorded for work the service does on its own (scheduled runs, retention). */
    public static final String SYSTEM = "system";

    /** How an audited action ended. */
    public enum Outcome {
        /** Accepted and queued as a job; the job's own outcome follows in its record. */
        ACCEPTED,
        SUCCEEDED,
        /** Refused as invalid or conflicting (4xx). */
        REFUSED,
        FAILED
    }

    @Inject
    ObjectMapper mapper;

    @Inject
    jakarta.enterprise.inject.Instance<CurrentUser> currentUser;

    /** Records an action of the calling user (or {@link #SYSTEM} outside a request). */
    public void record(String action, String targetType, String targetId, Outcome outcome, Object details) {
        String subject = SYSTEM;
        String name = null;
        ManagedContext request = Arc.container().requestContext();
        if (request.isActive()) {
            try {
                CurrentUser u = currentUser.get();
                subject = u.subject();
                name = u.name();
            } catch (RuntimeException e) {
                // No identity in this request (a worker thread with a request context): the service acted.
            }
        }
        recordAs(subject, name, action, targetType, targetId, outcome, details);
    }

    /** Records an action of a named actor, e.g. {@code system} for retention or a schedule. */
    public void recordAs(String subject, String name, String action, String targetType, String targetId,
            Outcome outcome, Object details) {
        try {
            write(subject, name, action, targetType, targetId, outcome, details);
        } catch (RuntimeException e) {
            LOG.errorf(e, "Could not write the audit event %s %s/%s by %s (%s)", action, targetType, targetId, subject,
                    outcome);
        }
    }

    @Transactional(Transactional.TxType.REQUIRES_NEW)
    void write(String subject, String name, String action, String targetType, String targetId, Outcome outcome,
            Object details) {
        AuditEvent e = new AuditEvent();
        e.actorSubject = subject;
        e.actorName = name;
        e.action = action;
        e.targetType = targetType;
        e.targetId = targetId;
        e.outcome = outcome.name();
        e.details = details == null ? null : details instanceof JsonNode j ? j : mapper.valueToTree(details);
        e.persist();
    }
}
