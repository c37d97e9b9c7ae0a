package dev.holdfast.backup;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.holdfast.job.JobContext;
import dev.holdfast.job.JobHandler;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

/** Runs a catalog import ({@link CatalogImport}) as a job; safe to repeat, since an import skips what is known. */
@ApplicationScoped
public class CatalogImportJobHandler implements JobHandler {
    /** The job type. */
    public static final String TYPE = "catalog-import";

    /** What the job was asked. */
    public record Payload(boolean protect) {}

    @Inject
    CatalogImport catalogImport;

    @Inject
    ObjectMapper mapper;

    @Override
    public String type() {
        return TYPE;
    }

    @Override
    public int maxAttempts() {
        return 3;
    }

    @Override
    public JsonNode run(JobContext ctx) throws Exception {
        Payload p = ctx.payload(Payload.class);
        CatalogImport.Result r = catalogImport.run(ctx, p.protect());
        return mapper.valueToTree(r);
    }
}
