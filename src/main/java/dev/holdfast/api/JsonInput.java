package dev.holdfast.api;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.cfg.CoercionAction;
import com.fasterxml.jackson.databind.cfg.CoercionInputShape;
import com.fasterxml.jackson.databind.deser.std.StringDeserializer;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.type.LogicalType;
import io.quarkus.jackson.ObjectMapperCustomizer;
import jakarta.inject.Singleton;
import java.io.IOException;

/**
 * Makes the JSON reader strict about what a string is: a number or boolean is not silently taken for a
 * string (nor a string for a number or boolean), and no string may hold the NUL character, which
 * PostgreSQL cannot store and which would otherwise fail the request late, as a 500, audit event lost.
 */
@Singleton
public class JsonInput implements ObjectMapperCustomizer {
    /** What the problem says about a NUL character, wherever it was found. */
    public static final String NUL_MESSAGE = "must not contain the NUL character (U+0000)";

    @Override
    @SuppressWarnings("deprecation") // configure(MapperFeature) is the only way once the mapper exists
    public void customize(ObjectMapper mapper) {
        mapper.configure(MapperFeature.ALLOW_COERCION_OF_SCALARS, false);
        for (CoercionInputShape shape : new CoercionInputShape[] {
            CoercionInputShape.Integer, CoercionInputShape.Float, CoercionInputShape.Boolean
        }) {
            mapper.coercionConfigFor(LogicalType.Textual).setCoercion(shape, CoercionAction.Fail);
        }
        mapper.registerModule(new SimpleModule("holdfast-strings").addDeserializer(String.class, new NoNul()));
    }

    /** Whether a value holds the NUL character. */
    public static boolean hasNul(String s) {
        return s != null && s.indexOf('\0') >= 0;
    }

    /** Strings as Jackson reads them, refused when they hold a NUL character. */
    static final class NoNul extends StringDeserializer {
        @Override
        public String deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
            String s = super.deserialize(p, ctxt);
            if (hasNul(s)) {
                throw JsonMappingException.from(p, NUL_MESSAGE);
            }
            return s;
        }
    }
}
