package dev.holdfast.support;

import com.atlassian.oai.validator.report.MessageResolver;
import com.atlassian.oai.validator.report.ValidationReport;
import com.atlassian.oai.validator.schema.SchemaValidator;
import io.swagger.v3.oas.models.OpenAPI;
import io.swagger.v3.oas.models.Operation;
import io.swagger.v3.oas.models.PathItem;
import io.swagger.v3.oas.models.media.MediaType;
import io.swagger.v3.oas.models.media.Schema;
import io.swagger.v3.oas.models.responses.ApiResponse;
import io.swagger.v3.parser.OpenAPIV3Parser;
import io.swagger.v3.parser.core.models.ParseOptions;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * The contract check for event streams, which REST Assured cannot see: every event a test receives must carry a
 * name that the stream's documented schema lists under {@code x-sse-events}, and data that matches the schema
 * named there. A stream that passes is recorded for {@link ContractCoverage}.
 */
final class SseContract {
    private static volatile SseContract instance;

    private final OpenAPI api;
    private final SchemaValidator validator;

    private SseContract(OpenAPI api) {
        this.api = api;
        this.validator = new SchemaValidator(api, new MessageResolver());
    }

    static SseContract get() {
        if (instance == null) {
            synchronized (SseContract.class) {
                if (instance == null) {
                    try {
                        ParseOptions options = new ParseOptions();
                        options.setResolve(true);
                        OpenAPI api = new OpenAPIV3Parser()
                                .readContents(
                                        Files.readString(ContractFilter.ContractDocument.COMMITTED), null, options)
                                .getOpenAPI();
                        instance = new SseContract(api);
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                }
            }
        }
        return instance;
    }

    /** Fails with every broken event named if the events of the stream at {@code url} break the contract. */
    void check(String url, List<SseClient.Event> events) {
        String path = URI.create(url).getPath();
        Map<?, ?> documented = documentedEvents(path);
        StringBuilder errors = new StringBuilder();
        for (SseClient.Event event : events) {
            Object entry = documented.get(event.name());
            if (!(entry instanceof Map<?, ?> described) || !(described.get("$ref") instanceof String ref)) {
                errors.append("\n  - event '")
                        .append(event.name())
                        .append("' is not documented (documented: ")
                        .append(documented.keySet())
                        .append(')');
                continue;
            }
            Schema<?> schema = new Schema<>().$ref(ref);
            ValidationReport report = validator.validate(event.data().toString(), schema, "sse");
            if (report.hasErrors()) {
                errors.append("\n  - event '")
                        .append(event.name())
                        .append("' (")
                        .append(ref)
                        .append("): ")
                        .append(report.getMessages().stream()
                                .filter(m -> m.getLevel() == ValidationReport.Level.ERROR)
                                .map(ValidationReport.Message::getMessage)
                                .collect(Collectors.joining("; ")))
                        .append("\n    data: ")
                        .append(event.data());
            }
        }
        if (!errors.isEmpty()) {
            throw new AssertionError("The event stream GET " + path + " breaks the API contract ("
                    + ContractFilter.ContractDocument.COMMITTED + "):" + errors);
        }
        ContractCoverage.record("GET", path, 200);
    }

    private Map<?, ?> documentedEvents(String path) {
        for (Map.Entry<String, PathItem> e : api.getPaths().entrySet()) {
            if (!template(e.getKey()).matcher(path).matches()) {
                continue;
            }
            Operation get = e.getValue().getGet();
            ApiResponse ok = get == null ? null : get.getResponses().get("200");
            MediaType stream = ok == null || ok.getContent() == null
                    ? null
                    : ok.getContent().get("text/event-stream");
            if (stream == null || stream.getSchema() == null) {
                break;
            }
            Schema<?> schema = stream.getSchema();
            if (schema.get$ref() != null) {
                schema = api.getComponents()
                        .getSchemas()
                        .get(schema.get$ref().substring(schema.get$ref().lastIndexOf('/') + 1));
            }
            if (schema.getExtensions() != null && schema.getExtensions().get("x-sse-events") instanceof Map<?, ?> m) {
                return m;
            }
            break;
        }
        throw new AssertionError("GET " + path + " is not a documented event stream with x-sse-events");
    }

    static Pattern template(String template) {
        return Pattern.compile(Pattern.quote(template).replaceAll("\\{[^}]+}", "\\\\E[^/]+\\\\Q"));
    }
}
