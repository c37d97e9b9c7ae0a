package dev.holdfast.job;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.holdfast.api.PageRequest;
import dev.holdfast.time.TimeSource;
import io.quarkus.panache.common.Parameters;
import io.quarkus.panache.common.Sort;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Any;
import jakarta.enterprise.inject.Instance;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import jakarta.transaction.Transactional;
import java.sql.SQLException;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/** Queues jobs, reads them and cancels them; the API and the other features go through it. */
@ApplicationScoped
public class JobService {
    static final Map<String, String> SORT_FIELDS = Map.of(
            "queued_at",
            "queuedAt",
            "started_at",
            "startedAt",
            "finished_at",
            "finishedAt",
            "type",
            "type",
            "state",
            "state");

    @Inject
    EntityManager em;

    @Inject
    ObjectMapper mapper;

    @Inject
    JobWorker worker;

    @Inject
    TimeSource time;

    @Inject
    @Any
    Instance<JobHandler> handlers;

    /**
     * Queues a job in the caller's transaction (so a domain row and its job commit together) and
     * wakes idle workers on every instance when it commits.
     *
     * @param resourceKey jobs with equal keys never run at the same time; null for none
     */
    @Transactional(Transactional.TxType.REQUIRED)
    public Job enqueue(String type, Object payload, String resourceKey, String createdBy) {
        JobHandler handler = handlers.stream()
                .filter(h -> h.type().equals(type))
                .findFirst()
                .orElseThrow(() -> new IllegalArgumentException("No handler for job type " + type));
        Job job = new Job();
        job.id = UUID.randomUUID();
        job.type = type;
        job.payload = payload == null ? mapper.createObjectNode() : mapper.valueToTree(payload);
        job.state = JobState.QUEUED;
        job.resourceKey = resourceKey;
        job.maxAttempts = Math.max(1, handler.maxAttempts());
        job.queuedAt = OffsetDateTime.ofInstant(time.now(), ZoneId.systemDefault());
        job.createdBy = createdBy;
        job.persist();
        em.flush();
        em.createNativeQuery("SELECT pg_notify('" + JobStore.QUEUED_CHANNEL + "', :type)")
                .setParameter("type", type)
                .getSingleResult();
        return job;
    }

    /** One job. */
    @Transactional
    public JobView get(UUID id) {
        Job job = Job.findById(id);
        if (job == null) {
            throw new JobNotFound(id);
        }
        return JobView.of(job, mapper);
    }

    /** The job types this service runs (one per handler), sorted. */
    public List<String> types() {
        return handlers.stream().map(JobHandler::type).sorted().toList();
    }

    /** A page of jobs, optionally filtered by state and type. */
    @Transactional
    public PageRequest.Page<JobView> list(JobState state, String type, PageRequest page) {
        Sort sort = page.toSort(SORT_FIELDS, "queued_at", Sort.Direction.Descending);
        List<String> where = new ArrayList<>();
        Parameters params = new Parameters();
        if (state != null) {
            where.add("state = :state");
            params.and("state", state);
        }
        if (type != null && !type.isBlank()) {
            where.add("type = :type");
            params.and("type", type);
        }
        String query = String.join(" and ", where);
        var q = query.isEmpty() ? Job.<Job>findAll(sort) : Job.<Job>find(query, sort, params);
        long total = q.count();
        List<JobView> items = q.page(page.page, page.size).list().stream()
                .map(j -> JobView.of(j, mapper))
                .toList();
        return PageRequest.Page.of(items, page, total);
    }

    /**
     * Cancels a job: queued jobs end at once, running ones stop at their next checkpoint.
     *
     * @throws JobAlreadyEnded when the job has already ended
     */
    public JobView cancel(UUID id) {
        JobState state;
        try {
            state = worker.store().requestCancel(id).orElseThrow(() -> new JobNotFound(id));
        } catch (SQLException e) {
            throw new IllegalStateException("Could not cancel job " + id, e);
        }
        if (state.terminal() && state != JobState.CANCELLED) {
            throw new JobAlreadyEnded(id, state);
        }
        JobView view = get(id);
        if (state == JobState.CANCELLED) {
            // A queued job ends here, without ever reaching a worker: end its backup or restore row now too
            // (the hook is idempotent, so a repeated cancel changes nothing).
            worker.endedWithoutRunning(new JobHandler.JobOutcome(
                    id, view.type(), mapper.valueToTree(view.payload()), state, view.error()));
        }
        return view;
    }

    /** Count of jobs in a state across all instances. */
    @Transactional
    public long count(JobState state) {
        return Job.count("state", state);
    }
}
