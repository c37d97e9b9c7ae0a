package dev.holdfast.api;

import jakarta.ws.rs.core.MediaType;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.eclipse.microprofile.openapi.OASFactory;
import org.eclipse.microprofile.openapi.OASFilter;
import org.eclipse.microprofile.openapi.models.Components;
import org.eclipse.microprofile.openapi.models.OpenAPI;
import org.eclipse.microprofile.openapi.models.Operation;
import org.eclipse.microprofile.openapi.models.PathItem;
import org.eclipse.microprofile.openapi.models.media.Content;
import org.eclipse.microprofile.openapi.models.media.Schema;
import org.eclipse.microprofile.openapi.models.responses.APIResponse;
import org.eclipse.microprofile.openapi.models.responses.APIResponses;

/**
 * Writes the API's conventions into the OpenAPI document once, instead of on every operation and field: the problem
 * answers every operation can give, the one "work accepted" envelope, the one event-stream format, and which fields
 * may be null.
 *
 * <ul>
 *   <li>Problems: 401, 403 and 414 everywhere; 400 where parameters or a body are read; 413 and 415 where a body is.
 *   <li>Accepted: an operation that answers {@code $ref: Accepted<Name>} gets that schema derived from the generic
 *       {@code Accepted} record's, with {@code resource} a {@code Name} (Java generics do not reach the document).
 *   <li>Event streams: every {@code text/event-stream} answer is the one {@code JobEventStream} schema, which names
 *       each event and its data schema ({@code x-sse-events}): {@code state} and {@code end} carry a Job,
 *       {@code progress} a JobEvent, {@code stalled} a JobStall.
 *   <li>Nullability: the API writes every field of a view, null when it has no value. A field the document lists as
 *       {@code required} is always present and never null; every other field may be null and says so
 *       ({@code nullable: true}). That is why views mark their always-set fields {@code @Schema(required = true)}.
 *       OpenAPI 3.0 cannot make a {@code $ref} nullable (validators ignore {@code nullable} beside {@code allOf}),
 *       so a nullable field that refers to a component gets a copy of that component inline.
 * </ul>
 */
public class OpenApiConventions implements OASFilter {
    static final String SCHEMAS = "#/components/schemas/";
    private static final String PROBLEM_REF = SCHEMAS + "Problem";
    private static final String ACCEPTED = "Accepted";
    private static final String EVENT_STREAM = "JobEventStream";

    @Override
    public void filterOpenAPI(OpenAPI openAPI) {
        Components components = openAPI.getComponents();
        Map<String, Schema> schemas = components == null || components.getSchemas() == null
                ? Map.of()
                : new LinkedHashMap<>(components.getSchemas());
        List<String> acceptedRefs = new ArrayList<>();
        if (openAPI.getPaths() != null && openAPI.getPaths().getPathItems() != null) {
            openAPI.getPaths().getPathItems().forEach((path, item) -> {
                if (path.startsWith("/api/")) {
                    item.getOperations().forEach((method, op) -> {
                        addProblemAnswers(method, op);
                        rewriteContent(op, acceptedRefs);
                    });
                }
            });
        }
        if (components == null) {
            return;
        }
        for (String ref : acceptedRefs) {
            String name = ref.substring(SCHEMAS.length());
            if (!schemas.containsKey(name)) {
                Schema derived = accepted(schemas, name.substring(ACCEPTED.length()));
                components.addSchema(name, derived);
                schemas.put(name, derived);
            }
        }
        if (!acceptedRefs.isEmpty()) {
            components.removeSchema(ACCEPTED);
            schemas.remove(ACCEPTED);
        }
        // The type the SSE methods return; no answer refers to it any more.
        components.removeSchema("OutboundSseEvent");
        schemas.remove("OutboundSseEvent");
        if (schemas.containsKey("JobEvent")) {
            Schema stream = eventStream();
            components.addSchema(EVENT_STREAM, stream);
        }
        schemas.forEach((name, schema) -> markNullable(schema, schemas));
    }

    private static void addProblemAnswers(PathItem.HttpMethod method, Operation op) {
        APIResponses responses = op.getResponses();
        if (responses == null) {
            responses = OASFactory.createAPIResponses();
            op.setResponses(responses);
        }
        add(responses, "401", "No valid bearer token (missing, expired, wrong issuer or signature)");
        add(responses, "403", "The token has no role that allows this operation");
        add(responses, "414", "Request line too long");
        boolean hasParameters =
                op.getParameters() != null && !op.getParameters().isEmpty();
        if (hasParameters || op.getRequestBody() != null) {
            add(responses, "400", "Invalid request: a parameter or the body is malformed or breaks a rule");
        }
        if (op.getRequestBody() != null) {
            add(responses, "413", "Request body larger than holdfast.api.max-body-size");
            add(responses, "415", "Request body is not application/json");
        }
    }

    private static void add(APIResponses responses, String status, String description) {
        APIResponse existing = responses.getAPIResponse(status);
        if (existing != null && existing.getContent() != null) {
            return;
        }
        // SmallRye adds a bare 401/403 ("Not Authorized", "Not Allowed") to @RolesAllowed operations: the body
        // every refusal carries, a Problem, replaces it.
        APIResponse r = OASFactory.createAPIResponse()
                .description(description)
                .content(OASFactory.createContent()
                        .addMediaType(
                                Problem.MEDIA_TYPE,
                                OASFactory.createMediaType()
                                        .schema(OASFactory.createSchema().ref(PROBLEM_REF))));
        responses.addAPIResponse(status, r);
    }

    /** Collects the Accepted envelopes answered, and points every event stream at the one stream schema. */
    private static void rewriteContent(Operation op, List<String> acceptedRefs) {
        if (op.getResponses() == null || op.getResponses().getAPIResponses() == null) {
            return;
        }
        op.getResponses().getAPIResponses().values().forEach(response -> {
            Content content = response.getContent();
            if (content == null || content.getMediaTypes() == null) {
                return;
            }
            content.getMediaTypes().forEach((type, media) -> {
                Schema schema = media.getSchema();
                if (schema == null) {
                    return;
                }
                if (type.equals(MediaType.SERVER_SENT_EVENTS)) {
                    media.setSchema(OASFactory.createSchema().ref(SCHEMAS + EVENT_STREAM));
                } else if (schema.getRef() != null && schema.getRef().startsWith(SCHEMAS + ACCEPTED)) {
                    acceptedRefs.add(schema.getRef());
                }
            });
        });
    }

    private static Schema accepted(Map<String, Schema> schemas, String resourceName) {
        Schema generic = schemas.get(ACCEPTED);
        if (generic == null || !schemas.containsKey(resourceName)) {
            throw new IllegalStateException(
                    "cannot derive " + ACCEPTED + resourceName + ": no schema " + ACCEPTED + " or " + resourceName);
        }
        Schema derived = copy(generic);
        Map<String, Schema> properties = new LinkedHashMap<>(generic.getProperties());
        Schema resource = OASFactory.createSchema()
                .description(properties.get("resource").getDescription())
                .allOf(List.of(OASFactory.createSchema().ref(SCHEMAS + resourceName)));
        properties.put("resource", resource);
        derived.setProperties(properties);
        return derived;
    }

    private static Schema eventStream() {
        // Ordered maps throughout: Map.of's order changes from one JVM to the next, and the document must not.
        Map<String, Object> events = new LinkedHashMap<>();
        events.put("state", event("Job", "First: the whole job, at once"));
        events.put("progress", event("JobEvent", "Each change of state or progress"));
        events.put(
                "stalled",
                event(
                        "JobStall",
                        "The watchdog found the job stalled: its progress has not moved for the type's"
                                + " stall-warning; with the lock its sessions wait for, if any"));
        events.put("end", event("Job", "Last: the final job; the stream closes"));
        return OASFactory.createSchema()
                .addType(Schema.SchemaType.STRING)
                .description("Server-Sent Events (text/event-stream). Each event has a name (event:), the job's seq "
                        + "as its id (id:) and one JSON object as its data (data:): `state` (a Job) at once, then "
                        + "`progress` (a JobEvent) for each change, `stalled` (a JobStall) when the watchdog finds "
                        + "the job stuck, then `end` (the final Job), and the stream closes. x-sse-events names each "
                        + "event's data schema.")
                .addExtension("x-sse-events", events);
    }

    private static Map<String, Object> event(String schema, String description) {
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("$ref", SCHEMAS + schema);
        e.put("description", description);
        return e;
    }

    private static void markNullable(Schema schema, Map<String, Schema> schemas) {
        Map<String, Schema> properties = schema.getProperties();
        if (properties == null) {
            return;
        }
        Set<String> required = schema.getRequired() == null ? Set.of() : Set.copyOf(schema.getRequired());
        Map<String, Schema> inlined = new LinkedHashMap<>();
        properties.forEach((name, property) -> {
            if (required.contains(name)) {
                return;
            }
            Schema target = property;
            String ref = refOf(property);
            if (ref != null) {
                Schema component = schemas.get(ref.substring(SCHEMAS.length()));
                if (component == null) {
                    return;
                }
                target = copy(component);
                if (property.getDescription() != null) {
                    target.setDescription(property.getDescription());
                }
                inlined.put(name, target);
            }
            allowNull(target);
        });
        // The model's property map is read-only: replace through the schema (addProperty keeps the order).
        inlined.forEach(schema::addProperty);
    }

    /** The component a property refers to, bare or wrapped in a single allOf. */
    private static String refOf(Schema property) {
        if (property.getRef() != null) {
            return property.getRef();
        }
        List<Schema> allOf = property.getAllOf();
        if (allOf != null && allOf.size() == 1 && allOf.get(0).getRef() != null && property.getProperties() == null) {
            return allOf.get(0).getRef();
        }
        return null;
    }

    private static void allowNull(Schema schema) {
        if (schema.getType() == null || schema.getType().contains(Schema.SchemaType.NULL)) {
            return;
        }
        schema.addType(Schema.SchemaType.NULL);
        // OpenAPI 3.0.3: nullable does not override enum; null must be listed to be allowed.
        if (schema.getEnumeration() != null && !schema.getEnumeration().contains(null)) {
            List<Object> values = new ArrayList<>(schema.getEnumeration());
            values.add(null);
            schema.setEnumeration(values);
        }
    }

    private static Schema copy(Schema source) {
        Schema copy = OASFactory.createSchema();
        copy.setAll(new LinkedHashMap<>(source.getAll()));
        // Lists that allowNull changes must not be the source's.
        if (source.getType() != null) {
            copy.setType(new ArrayList<>(source.getType()));
        }
        if (source.getEnumeration() != null) {
            copy.setEnumeration(new ArrayList<>(source.getEnumeration()));
        }
        return copy;
    }
}
