package dev.holdfast.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.holdfast.support.ContractCoverage;
import io.swagger.v3.oas.models.OpenAPI;
import io.swagger.v3.oas.models.PathItem;
import io.swagger.v3.parser.OpenAPIV3Parser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * Every documented operation was seen by the contract check with a successful answer whose body matched its
 * schema, somewhere in this run's unit and Quarkus tests. The contract filter only checks what tests send; this
 * makes sure that what they send covers the whole document, so no endpoint's real JSON goes unchecked.
 *
 * <p>Runs after the unit tests (failsafe) and reads what they recorded ({@link ContractCoverage}). A run of
 * selected unit tests ({@code -Dtest=...}) cannot cover the document, so there it is skipped, saying why.
 */
class ContractCoverageIT {

    @Test
    void everyDocumentedOperationAnsweredSuccessfullyAndMatchedItsSchema() throws IOException {
        Assumptions.assumeTrue(
                System.getProperty("test") == null,
                "only some unit tests ran (-Dtest), so the document cannot be covered");
        List<String> seen = new ArrayList<>();
        if (Files.isDirectory(ContractCoverage.DIR)) {
            try (Stream<Path> files = Files.list(ContractCoverage.DIR)) {
                for (Path f : (Iterable<Path>) files::iterator) {
                    seen.addAll(Files.readAllLines(f));
                }
            }
        }
        assertThat(seen)
                .as("exchanges recorded by the unit tests' contract check")
                .isNotEmpty();

        OpenAPI api = new OpenAPIV3Parser()
                .readContents(Files.readString(Path.of("openapi/holdfast-openapi.yaml")), null, null)
                .getOpenAPI();
        TreeSet<String> uncovered = new TreeSet<>();
        int operations = 0;
        for (Map.Entry<String, PathItem> path : api.getPaths().entrySet()) {
            Pattern template = Pattern.compile(Pattern.quote(path.getKey()).replaceAll("\\{[^}]+}", "\\\\E[^/]+\\\\Q"));
            for (PathItem.HttpMethod method :
                    path.getValue().readOperationsMap().keySet()) {
                operations++;
                boolean covered = seen.stream()
                        .map(line -> line.split(" "))
                        .anyMatch(r -> r[0].equals(method.name())
                                && template.matcher(r[1]).matches()
                                && r[2].startsWith("2"));
                if (!covered) {
                    uncovered.add(method + " " + path.getKey());
                }
            }
        }
        assertThat(uncovered)
                .as("operations of %d that no test saw answer 2xx with a body matching the document", operations)
                .isEmpty();
    }
}
