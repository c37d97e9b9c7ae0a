package dev.holdfast.support;

import com.atlassian.oai.validator.OpenApiInteractionValidator;
import com.atlassian.oai.validator.model.Request;
import com.atlassian.oai.validator.report.LevelResolver;
import com.atlassian.oai.validator.report.ValidationReport;
import com.atlassian.oai.validator.restassured.RestAssuredRequest;
import com.atlassian.oai.validator.restassured.RestAssuredResponse;
import io.restassured.RestAssured;
import io.restassured.filter.FilterContext;
import io.restassured.filter.OrderedFilter;
import io.restassured.response.Response;
import io.restassured.specification.FilterableRequestSpecification;
import io.restassured.specification.FilterableResponseSpecification;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Collectors;

/**
 * The contract layer of the test suite: every exchange with {@code /api/*} that a test sends through REST Assured is
 * checked against the committed OpenAPI document, so a field added, renamed or mistyped anywhere fails the test
 * that saw it.
 *
 * <p>The response is always checked: its status must be documented for the operation and its body must match the
 * documented schema (problem statuses included). The request is checked when the service accepted it (2xx/3xx): a
 * request the document forbids but the service takes is drift. A request the service refused is not: tests send
 * malformed requests on purpose, and what they must get back, a documented problem, is checked.
 */
public final class ContractFilter implements OrderedFilter {
    private static volatile ContractFilter instance;
    private static final java.util.Set<String> UNDOCUMENTED =
            java.util.Set.of("validation.request.operation.notAllowed", "validation.request.path.missing");

    // Read on the first /api exchange, not at install: regenerating the document (OpenApiDriftTest with
    // -Dupdate-openapi=true) must work while the committed one is stale or broken.
    private volatile OpenApiInteractionValidator validator;

    private ContractFilter() {}

    private OpenApiInteractionValidator validator() {
        if (validator == null) {
            synchronized (this) {
                if (validator == null) {
                    validator = ContractDocument.validator();
                }
            }
        }
        return validator;
    }

    /** Adds the filter to REST Assured's global filters once per JVM. */
    public static synchronized void install() {
        if (instance == null) {
            instance = new ContractFilter();
        }
        if (!RestAssured.filters().contains(instance)) {
            RestAssured.filters(instance);
        }
    }

    @Override
    public int getOrder() {
        // Last, so that it sees the request as sent (auth and content type filled in) and the response as received.
        return LOWEST_PRECEDENCE;
    }

    @Override
    public Response filter(
            FilterableRequestSpecification req, FilterableResponseSpecification resSpec, FilterContext ctx) {
        Request request = RestAssuredRequest.of(req);
        if (!request.getPath().startsWith("/api/")) {
            return ctx.next(req, resSpec);
        }
        // Loaded before the request goes out: reading the document takes seconds the first time, and a test that
        // opens a progress stream right after queueing a job must not find the job already finished.
        OpenApiInteractionValidator validator = validator();
        Response response = ctx.next(req, resSpec);
        // Archives (tens of MB) are not read into a String to check them: their status and media type are.
        String contentType = response.contentType() == null ? "" : response.contentType();
        com.atlassian.oai.validator.model.Response asValidated = contentType.contains("json") || contentType.isEmpty()
                ? RestAssuredResponse.of(response)
                : com.atlassian.oai.validator.model.SimpleResponse.Builder.status(response.statusCode())
                        .withContentType(contentType)
                        .withBody("(binary)")
                        .build();
        ValidationReport report = response.statusCode() < 400
                ? validator.validate(request, asValidated)
                : validator.validateResponse(request.getPath(), request.getMethod(), asValidated);
        if (response.statusCode() >= 400) {
            // Tests call paths and methods the API does not have on purpose (404, 405); what they get back is a
            // problem, which they check. A 2xx from an undocumented operation is still drift.
            if (report.getMessages().stream().allMatch(m -> UNDOCUMENTED.contains(m.getKey()))) {
                report = ValidationReport.empty();
            }
        }
        if (!report.hasErrors()) {
            ContractCoverage.record(request.getMethod().name(), request.getPath(), response.statusCode());
        }
        if (report.hasErrors()) {
            String messages = report.getMessages().stream()
                    .filter(m -> m.getLevel() == ValidationReport.Level.ERROR)
                    .map(m -> "  - " + m.getKey() + ": " + m.getMessage()
                            + m.getContext()
                                    .flatMap(c -> c.getPointers())
                                    .map(p -> " (at " + p.getInstance() + ")")
                                    .orElse(""))
                    .collect(Collectors.joining("\n"));
            throw new AssertionError("The exchange breaks the API contract (" + ContractDocument.COMMITTED + "):\n"
                    + request.getMethod() + " " + request.getPath() + " -> " + response.statusCode() + "\n"
                    + messages + "\nResponse body: "
                    + (contentType.contains("json") ? abbreviate(response.asString()) : contentType));
        }
        return response;
    }

    private static String abbreviate(String s) {
        return s == null || s.length() <= 2000 ? s : s.substring(0, 2000) + "…";
    }

    /** Reads the committed document; kept apart so that the examples test can use the same parsed model. */
    static final class ContractDocument {
        static final Path COMMITTED = Path.of("openapi/holdfast-openapi.yaml");

        private ContractDocument() {}

        static OpenApiInteractionValidator validator() {
            try {
                return OpenApiInteractionValidator.createForInlineApiSpecification(Files.readString(COMMITTED))
                        // REST Assured adds a token (auth().oauth2) after every filter has run, so the header
                        // cannot be seen here; who may call what is the security tests' business, and the
                        // 401/403 answers they get are checked like every other response.
                        .withLevelResolver(LevelResolver.create()
                                .withLevel("validation.request.security.missing", ValidationReport.Level.IGNORE)
                                .build())
                        .build();
            } catch (java.io.IOException e) {
                throw new IllegalStateException("cannot read " + COMMITTED, e);
            }
        }
    }
}
