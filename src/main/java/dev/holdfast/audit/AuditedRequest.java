package dev.holdfast.audit;

import jakarta.enterprise.context.RequestScoped;

/**
 * Whether this request's audited method ran (and so wrote its event), so that {@link RefusalAudit}
 * records only the refusals that happened before it could: unreadable bodies, bad parameters.
 */
@RequestScoped
public class AuditedRequest {
    private boolean recorded;

    void markRecorded() {
        recorded = true;
    }

    boolean recorded() {
        return recorded;
    }
}
