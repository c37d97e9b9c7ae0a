package dev.holdfast.job;

import static org.assertj.core.api.Assertions.assertThatCode;

import dev.holdfast.support.TestResources;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManagerFactory;
import org.junit.jupiter.api.Test;

/**
 * The entity mappings agree with the schema the Flyway migrations build: Hibernate's schema validation (the one dev
 * mode runs at start-up, and whose ALTER TABLE suggestions would have truncated char(64) checksums) finds nothing.
 */
@QuarkusTest
class SchemaValidationTest {
    static final Object RESOURCES = TestResources.class;

    @Inject
    EntityManagerFactory entityManagerFactory;

    @Test
    void everyEntityMatchesTheMigratedTables() {
        // Throws SchemaValidationException naming the first table and column that disagree.
        assertThatCode(() -> entityManagerFactory.getSchemaManager().validate()).doesNotThrowAnyException();
    }
}
