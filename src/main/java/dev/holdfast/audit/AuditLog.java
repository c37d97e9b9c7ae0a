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
    public void recordAs(
            String subject,
            String name,
            String action,
            String targetType,
            String targetId,
            Outcome outcome,
            Object details) {
        try {
            write(subject, name, action, targetType, targetId, outcome, details);
        } catch (RuntimeException e) {
            LOG.errorf(
                    e,
                    "Could not write the audit event %s %s/%s by %s (%s)",
                    action,
                    targetType,
                    targetId,
                    subject,
                    outcome);
        }
    }

    @Transactional(Transactional.TxType.REQUIRES_NEW)
    void write(
            String subject,
            String name,
            String action,
            String targetType,
            String targetId,
            Outcome outcome,
            Object details) {
        AuditEvent e = new AuditEvent();
        e.actorSubject = storable(subject);
        e.actorName = storable(name);
        e.action = storable(action);
        e.targetType = storable(targetType);
        e.targetId = storable(targetId);
        e.outcome = outcome.name();
        e.details = details == null
                ? null
                : storable(details instanceof JsonNode j ? j.deepCopy() : mapper.valueToTree(details));
        e.persist();
    }

    // PostgreSQL stores no NUL character, in text or in jsonb: a request that carried one (and was refused
    // for it) must still leave its event, so the character is shown as U+FFFD instead.
    private static String storable(String s) {
        return s == null ? null : s.replace('\0', '\uFFFD');
    }

    private static JsonNode storable(JsonNode n) {
        if (n instanceof com.fasterxml.jackson.databind.node.ObjectNode o) {
            var fields = new java.util.ArrayList<java.util.Map.Entry<String, JsonNode>>();
            o.fields().forEachRemaining(fields::add);
            o.removeAll();
            fields.forEach(f -> o.set(storable(f.getKey()), storable(f.getValue())));
        } else if (n instanceof com.fasterxml.jackson.databind.node.ArrayNode a) {
            for (int i = 0; i < a.size(); i++) {
                a.set(i, storable(a.get(i)));
            }
        } else if (n != null && n.isTextual()) {
            return com.fasterxml.jackson.databind.node.TextNode.valueOf(storable(n.asText()));
        }
        return n;
    }
}
