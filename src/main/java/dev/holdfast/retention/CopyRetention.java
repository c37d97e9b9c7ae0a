package dev.holdfast.retention;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.holdfast.audit.AuditLog;
import dev.holdfast.backup.BackupCopies;
import dev.holdfast.backup.BackupCopy;
import dev.holdfast.config.HoldfastConfig;
import dev.holdfast.time.TimeSource;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.UUID;
import java.util.stream.Collectors;
import org.jboss.logging.Logger;

/**
 * Retention per named storage ({@code holdfast.storage."<name>".retention.*}): the same planner as the backups' own
 * retention, run over the backups that have a copy in the storage, removes the copies it does not keep (the backup
 * itself stays). It runs with every retention sweep, after the backups' own policies.
 */
@ApplicationScoped
public class CopyRetention {
    private static final Logger LOG = Logger.getLogger(CopyRetention.class);

    @Inject
    HoldfastConfig config;

    @Inject
    BackupCopies copies;

    @Inject
    RetentionService retention;

    @Inject
    AuditLog audit;

    @Inject
    TimeSource time;

    @Inject
    ObjectMapper mapper;

    /** The copy policy of each named storage that has one. */
    public Map<String, RetentionPolicy> policies() {
        return policiesOf(config.storage());
    }

    /** The copy policy of each named storage of this configuration that has one. */
    static Map<String, RetentionPolicy> policiesOf(HoldfastConfig.Storage storages) {
        Map<String, RetentionPolicy> out = new HashMap<>();
        storages.named().forEach((name, storage) -> {
            HoldfastConfig.CopyRetention r = storage.retention();
            RetentionPolicy p = new RetentionPolicy(
                    count(r.keepLast()),
                    count(r.keepDaily()),
                    count(r.keepWeekly()),
                    count(r.keepMonthly()),
                    count(r.keepYearly()),
                    r.keepWithin().orElse(null),
                    r.maxAge().orElse(null));
            if (!RetentionPlanner.isEmpty(p)) {
                out.put(name, p);
            }
        });
        return out;
    }

    /** Refuses to start with a copy policy that does not parse, naming the keys. */
    void check(@jakarta.enterprise.event.Observes io.quarkus.runtime.StartupEvent ev) {
        policies().forEach((name, p) -> {
            List<dev.holdfast.domain.Violation> bad =
                    RetentionService.violations(p, "holdfast.storage.\"" + name + "\".retention.");
            if (!bad.isEmpty()) {
                throw new IllegalStateException(bad.stream()
                        .map(v -> v.field().replace('_', '-') + ": " + v.message())
                        .collect(Collectors.joining("; ")));
            }
        });
    }

    /**
     * Applies every storage's copy policy.
     *
     * @return what went wrong, empty when every removal succeeded
     */
    public List<String> applyAll(String subject) {
        List<String> errors = new ArrayList<>();
        Map<String, RetentionPolicy> policies = policies();
        if (policies.isEmpty()) {
            return errors;
        }
        List<RetentionPlanner.Candidate> all = retention.candidatesNow();
        for (Map.Entry<String, RetentionPolicy> e : policies.entrySet()) {
            try {
                errors.addAll(apply(e.getKey(), e.getValue(), all, subject));
            } catch (RuntimeException ex) {
                LOG.errorf(ex, "Copy retention of storage %s failed", e.getKey());
                errors.add("storage " + e.getKey() + ": " + ex.getMessage());
            }
        }
        return errors;
    }

    /** Applies one policy to the copies in one storage, whatever the configuration says (tests, an ad-hoc run). */
    List<String> apply(String storage, RetentionPolicy policy, String subject) {
        return apply(storage, policy, retention.candidatesNow(), subject);
    }

    private List<String> apply(
            String storage, RetentionPolicy policy, List<RetentionPlanner.Candidate> all, String subject) {
        Map<UUID, BackupCopy> copied =
                copies.succeededIn(storage).stream().collect(Collectors.toMap(c -> c.backupId, c -> c));
        List<RetentionPlanner.Candidate> here =
                all.stream().filter(c -> copied.containsKey(c.id())).toList();
        RetentionPlanner.Plan plan = RetentionPlanner.plan(
                here, policy, time.now(), config.retention().timeZone());
        List<String> errors = new ArrayList<>();
        int removed = 0;
        for (RetentionPlanner.Verdict v : plan.toDelete()) {
            BackupCopy c = copied.get(v.backup().id());
            ObjectNode details = mapper.createObjectNode();
            details.put("storage", storage);
            details.put("reason", String.join("; ", v.reasons()));
            details.set("policy", mapper.valueToTree(policy));
            AuditLog.Outcome outcome;
            try {
                if (!copies.forget(c.id)) {
                    continue; // deleted or asked again meanwhile: nothing of ours to remove
                }
                removed++;
                outcome = AuditLog.Outcome.SUCCEEDED;
            } catch (Exception ex) {
                errors.add("copy of " + c.backupId + " in " + storage + ": " + ex.getMessage());
                details.put("error", ex.getMessage());
                outcome = AuditLog.Outcome.FAILED;
            }
            audit.recordAs(subject, null, "retention.delete-copy", "backup", c.backupId.toString(), outcome, details);
        }
        LOG.infof(
                "Copy retention of storage %s: removed %d cop%s, kept %d, failed %d",
                storage, removed, removed == 1 ? "y" : "ies", plan.keptCount(), errors.size());
        return errors;
    }

    private static Integer count(OptionalInt n) {
        return n.isPresent() ? n.getAsInt() : null;
    }
}
