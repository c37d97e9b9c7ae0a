package dev.holdfast.api;

import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import dev.holdfast.domain.DomainException;
import dev.holdfast.domain.Violation;
import io.quarkus.security.AuthenticationFailedException;
import io.quarkus.security.ForbiddenException;
import io.quarkus.security.UnauthorizedException;
import jakarta.validation.ConstraintViolation;
import jakarta.validation.ConstraintViolationException;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.UriInfo;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import java.util.stream.Collectors;
import org.jboss.logging.Logger;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

/**
 * The one place where exceptions become HTTP responses: every error leaves as an RFC 9457
 * {@code application/problem+json} document, never as a stack trace.
 */
public class ProblemMapper {
    private static final Logger LOG = Logger.getLogger(ProblemMapper.class);

    @ServerExceptionMapper
    public Response apiException(ApiException e, UriInfo uri) {
        return problem(e.status(), e.title(), e.getMessage(), uri, e.violations());
    }

    @ServerExceptionMapper
    public Response domainException(DomainException e, UriInfo uri) {
        // The same status, title and type each kind had as an ApiException, so responses did not change.
        return switch (e.kind()) {
            case NOT_FOUND -> problem(404, "Not found", e.getMessage(), uri, e.violations());
            case CONFLICT -> problem(409, "Conflict", e.getMessage(), uri, e.violations());
            case INVALID -> problem(400, "Invalid request", e.getMessage(), uri, e.violations());
        };
    }

    @ServerExceptionMapper
    public Response constraintViolation(ConstraintViolationException e, UriInfo uri) {
        List<Violation> violations = e.getConstraintViolations().stream()
                .map(v -> new Violation(fieldOf(v), v.getMessage()))
                .sorted((a, b) -> a.field().compareTo(b.field()))
                .toList();
        String detail =
                violations.stream().map(v -> v.field() + ": " + v.message()).collect(Collectors.joining("; "));
        return problem(400, "Invalid request", detail, uri, violations);
    }

    @ServerExceptionMapper(priority = 1)
    public Response unrecognizedProperty(UnrecognizedPropertyException e, UriInfo uri) {
        String field = path(e);
        return problem(
                400,
                "Invalid request",
                "Unknown field '" + field + "'",
                uri,
                List.of(new Violation(field, "unknown field")));
    }

    @ServerExceptionMapper(priority = 1)
    public Response invalidFormat(InvalidFormatException e, UriInfo uri) {
        String field = path(e);
        Class<?> target = e.getTargetType();
        String message;
        if (target != null && target.isEnum()) {
            message = "'" + e.getValue() + "' is not one of "
                    + Arrays.stream(target.getEnumConstants())
                            .map(c -> QueryParamConverters.jsonName((Enum<?>) c))
                            .collect(Collectors.joining(", ", "[", "]"));
        } else {
            message = "'" + e.getValue() + "' is not a valid " + typeName(target);
        }
        return problem(400, "Invalid request", field + ": " + message, uri, List.of(new Violation(field, message)));
    }

    @ServerExceptionMapper(priority = 1)
    public Response mismatchedInput(MismatchedInputException e, UriInfo uri) {
        String field = path(e);
        String message = "expected " + typeName(e.getTargetType());
        if (field.isEmpty()) {
            return problem(400, "Invalid request", "The request body must be a JSON object", uri, List.of());
        }
        return problem(400, "Invalid request", field + ": " + message, uri, List.of(new Violation(field, message)));
    }

    @ServerExceptionMapper(priority = 1)
    public Response jsonMapping(JsonMappingException e, UriInfo uri) {
        String field = path(e);
        String message = e.getOriginalMessage();
        return problem(
                400,
                "Invalid request",
                (field.isEmpty() ? "" : field + ": ") + message,
                uri,
                field.isEmpty() ? List.of() : List.of(new Violation(field, message)));
    }

    @ServerExceptionMapper(priority = 2)
    public Response malformedJson(JsonProcessingException e, UriInfo uri) {
        String where = e.getLocation() == null
                ? ""
                : " at line " + e.getLocation().getLineNr() + ", column "
                        + e.getLocation().getColumnNr();
        return problem(
                400,
                "Malformed JSON",
                "The request body is not valid JSON" + where + ": " + e.getOriginalMessage(),
                uri,
                List.of());
    }

    @ServerExceptionMapper(priority = 1)
    public Response invalidParameter(QueryParamConverters.InvalidParameter e, UriInfo uri) {
        if (e.parameter() == null) {
            return problem(400, "Invalid request", e.getMessage(), uri, List.of());
        }
        return problem(
                400,
                "Invalid request",
                e.parameter() + ": " + e.getMessage(),
                uri,
                List.of(new Violation(e.parameter(), e.getMessage())));
    }

    @ServerExceptionMapper
    public Response unauthorized(UnauthorizedException e, UriInfo uri) {
        return unauthenticated(uri, "A valid bearer token is required");
    }

    @ServerExceptionMapper
    public Response authenticationFailed(AuthenticationFailedException e, UriInfo uri) {
        return unauthenticated(uri, "The bearer token was rejected (expired, wrong issuer or bad signature)");
    }

    @ServerExceptionMapper
    public Response forbidden(ForbiddenException e, UriInfo uri) {
        return problem(403, "Forbidden", "Your token lacks the role this operation needs", uri, List.of());
    }

    @ServerExceptionMapper
    public Response webApplication(WebApplicationException e, UriInfo uri) {
        // The JSON reader reports some parse failures wrapped in a plain 400.
        if (e.getCause() instanceof JsonParseException jpe) {
            return malformedJson(jpe, uri);
        }
        if (e.getCause() instanceof JsonMappingException jme) {
            return jsonMapping(jme, uri);
        }
        Response r = e.getResponse();
        int status = r.getStatus();
        if (status >= 500) {
            return serverError(e, uri);
        }
        String title = r.getStatusInfo().getReasonPhrase();
        String detail = switch (status) {
            case 404 -> "No resource at " + uri.getPath();
            case 405 -> "Method not allowed on " + uri.getPath();
            case 406 -> "None of the accepted media types can be produced";
            case 415 -> "Unsupported media type; send application/json";
            default -> e.getMessage();
        };
        Response.ResponseBuilder b = Response.status(status)
                .type(Problem.MEDIA_TYPE)
                .entity(new Problem(typeUri(title), title, status, detail, uri.getPath(), List.of()));
        if (r.getHeaderString(HttpHeaders.ALLOW) != null) {
            b.header(HttpHeaders.ALLOW, r.getHeaderString(HttpHeaders.ALLOW));
        }
        return b.build();
    }

    @ServerExceptionMapper
    public Response unexpected(Throwable e, UriInfo uri) {
        return serverError(e, uri);
    }

    private Response serverError(Throwable e, UriInfo uri) {
        String errorId = UUID.randomUUID().toString();
        LOG.errorf(e, "Unexpected error %s on %s", errorId, uri.getPath());
        return problem(
                500,
                "Internal error",
                "The server failed to handle this request; error id " + errorId + " is in its log",
                uri,
                List.of());
    }

    private static Response unauthenticated(UriInfo uri, String detail) {
        return Response.fromResponse(problem(401, "Unauthorized", detail, uri, List.of()))
                .header(HttpHeaders.WWW_AUTHENTICATE, "Bearer")
                .build();
    }

    static Response problem(int status, String title, String detail, UriInfo uri, List<Violation> v) {
        return Response.status(status)
                .type(Problem.MEDIA_TYPE)
                .entity(new Problem(typeUri(title), title, status, detail, uri == null ? null : uri.getPath(), v))
                .build();
    }

    static String typeUri(String title) {
        return Problem.TYPE_BASE + title.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]+", "-");
    }

    private static String fieldOf(ConstraintViolation<?> v) {
        // Property paths look like "create.request.name": drop the method and parameter names.
        String[] parts = v.getPropertyPath().toString().split("\\.");
        if (parts.length <= 2) {
            return parts[parts.length - 1];
        }
        return Arrays.stream(parts, 2, parts.length).map(ProblemMapper::snake).collect(Collectors.joining("."));
    }

    private static String snake(String s) {
        return s.replaceAll("([a-z0-9])([A-Z])", "$1_$2").toLowerCase(Locale.ROOT);
    }

    private static String path(JsonMappingException e) {
        StringBuilder sb = new StringBuilder();
        for (JsonMappingException.Reference ref : e.getPath()) {
            if (ref.getFieldName() != null) {
                if (!sb.isEmpty()) {
                    sb.append('.');
                }
                sb.append(ref.getFieldName());
            } else if (ref.getIndex() >= 0) {
                sb.append('[').append(ref.getIndex()).append(']');
            }
        }
        return sb.toString();
    }

    private static String typeName(Class<?> t) {
        if (t == null) {
            return "value";
        }
        if (Number.class.isAssignableFrom(t) || (t.isPrimitive() && t != boolean.class)) {
            return "number";
        }
        if (t == Boolean.class || t == boolean.class) {
            return "boolean (true or false)";
        }
        if (t == String.class) {
            return "string";
        }
        if (t == UUID.class) {
            return "UUID";
        }
        if (List.class.isAssignableFrom(t) || t.isArray()) {
            return "array";
        }
        return t.getSimpleName().replaceAll("([a-z])([A-Z])", "$1 $2").toLowerCase(Locale.ROOT);
    }
}
