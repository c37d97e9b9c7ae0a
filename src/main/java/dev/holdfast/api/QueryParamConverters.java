package dev.holdfast.api;

import jakarta.ws.rs.BadRequestException;
import jakarta.ws.rs.ext.ParamConverter;
import jakarta.ws.rs.ext.ParamConverterProvider;
import jakarta.ws.rs.ext.Provider;
import java.lang.annotation.Annotation;
import java.lang.reflect.Type;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.Arrays;
import java.util.UUID;
import java.util.stream.Collectors;

/**
 * Converts enum, UUID, integer, boolean and timestamp parameters so that a bad value is a 400 naming the value and what
 * is allowed. Without it JAX-RS answers a query parameter it cannot convert with 404, which reads as
 * "no such resource". Enums accept their JSON names and their constant names in any case.
 */
@Provider
public class QueryParamConverters implements ParamConverterProvider {

    @Override
    @SuppressWarnings({"unchecked", "rawtypes"})
    public <T> ParamConverter<T> getConverter(Class<T> raw, Type generic, Annotation[] annotations) {
        String name = parameterName(annotations);
        if (raw.isEnum()) {
            return (ParamConverter<T>) new EnumConverter(raw, name);
        }
        if (raw == UUID.class) {
            return (ParamConverter<T>) new Simple<>(s -> UUID.fromString(s), "a UUID", name);
        }
        if (raw == int.class || raw == Integer.class) {
            // Built in, a value that is not an int (or too large for one) would be a 404.
            return (ParamConverter<T>) new Simple<>(
                    s -> Integer.valueOf(s),
                    "a whole number from " + Integer.MIN_VALUE + " to " + Integer.MAX_VALUE,
                    name);
        }
        if (raw == Boolean.class || raw == boolean.class) {
            // Built in, anything but "true" would silently be false.
            return (ParamConverter<T>) new Simple<>(QueryParamConverters::parseBoolean, "true or false", name);
        }
        if (raw == OffsetDateTime.class) {
            return (ParamConverter<T>) new Simple<>(
                    OffsetDateTime::parse, "an ISO-8601 timestamp with offset, e.g. 2026-01-31T23:00:00Z", name);
        }
        return null;
    }

    private static Boolean parseBoolean(String s) {
        return switch (s.toLowerCase(java.util.Locale.ROOT)) {
            case "true" -> Boolean.TRUE;
            case "false" -> Boolean.FALSE;
            default -> throw new IllegalArgumentException(s);
        };
    }

    /** A parameter value that does not convert; the problem names the parameter as a violation. */
    public static final class InvalidParameter extends BadRequestException {
        private final String parameter;

        InvalidParameter(String parameter, String message) {
            super(message);
            this.parameter = parameter;
        }

        /** The query or path parameter's name, or null when unknown. */
        public String parameter() {
            return parameter;
        }
    }

    private static String parameterName(Annotation[] annotations) {
        for (Annotation a : annotations == null ? new Annotation[0] : annotations) {
            if (a instanceof jakarta.ws.rs.QueryParam q) {
                return q.value();
            }
            if (a instanceof jakarta.ws.rs.PathParam p) {
                return p.value();
            }
        }
        return null;
    }

    /** An enum constant's JSON name: its {@code @JsonProperty} value, else the constant's name. */
    static String jsonName(Enum<?> c) {
        try {
            var p = c.getDeclaringClass()
                    .getField(c.name())
                    .getAnnotation(com.fasterxml.jackson.annotation.JsonProperty.class);
            return p != null ? p.value() : c.name();
        } catch (NoSuchFieldException e) {
            return c.name();
        }
    }

    private record Simple<T>(java.util.function.Function<String, T> parse, String what, String name)
            implements ParamConverter<T> {
        @Override
        public T fromString(String value) {
            if (value == null) {
                return null;
            }
            try {
                return parse.apply(value.strip());
            } catch (IllegalArgumentException | DateTimeParseException e) {
                throw new InvalidParameter(name, "'" + value + "' is not " + what);
            }
        }

        @Override
        public String toString(T value) {
            return value == null ? null : value.toString();
        }
    }

    private record EnumConverter<E extends Enum<E>>(Class<E> type, String name) implements ParamConverter<E> {
        @Override
        public E fromString(String value) {
            if (value == null) {
                return null;
            }
            for (E c : type.getEnumConstants()) {
                if (c.name().equalsIgnoreCase(value.strip()) || jsonName(c).equals(value.strip())) {
                    return c;
                }
            }
            throw new InvalidParameter(
                    name,
                    "'" + value + "' is not one of "
                            + Arrays.stream(type.getEnumConstants())
                                    .map(QueryParamConverters::jsonName)
                                    .collect(Collectors.joining(", ", "[", "]")));
        }

        @Override
        public String toString(E value) {
            return value == null ? null : jsonName(value);
        }
    }
}
