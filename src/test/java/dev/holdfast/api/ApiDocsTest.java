package dev.holdfast.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.holdfast.support.AppDatabase;
import dev.holdfast.support.TestResources;
import dev.holdfast.support.Tokens;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The curl examples of docs/api.md run as written, in order, in one bash (as a user pastes them), against the
 * service with a real token; each block's output is what the page says it is.
 */
@QuarkusTest
class ApiDocsTest {
    static final Object RESOURCES = TestResources.class;
    static final Path PAGE = Path.of("docs/api.md");
    private static final Pattern BASH = Pattern.compile("```bash\\n(.*?)```", Pattern.DOTALL);
    private static final String MARK = "--- next example ---";

    @TestHTTPResource("/")
    URL base;

    @Test
    void theCurlExamplesRunAndAnswerWhatThePageSays() throws Exception {
        AppDatabase.reset();
        List<String> blocks = examples();
        assertThat(blocks).as("bash blocks under ## Examples in %s", PAGE).hasSize(4);
        String script = "set -euo pipefail\n" + String.join("echo '" + MARK + "'\n", blocks);
        ProcessBuilder pb = new ProcessBuilder("bash", "-c", script).redirectErrorStream(true);
        String baseUrl = base.toString().replaceAll("/$", "");
        pb.environment().put("HOLDFAST", baseUrl);
        // The token travels in the environment, never on a command line.
        pb.environment().put("TOKEN", Tokens.admin());
        Process p = pb.start();
        assertThat(p.waitFor(180, TimeUnit.SECONDS)).as("examples end").isTrue();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.exitValue()).as(out).isZero();
        String[] outputs = out.split(MARK + "\\n", -1);
        assertThat(outputs).as(out).hasSize(4);

        // 1: the backup's job events, in order, then the backup's final status.
        assertThat(outputs[0].lines().toList())
                .as(outputs[0])
                .startsWith("event:state")
                .endsWith("event:end", "SUCCEEDED");
        assertThat(outputs[0]).contains("event:progress");
        // 2: the page of succeeded backups names the one just made.
        assertThat(outputs[1]).contains("\"total_items\"").contains("\"before-release-42\"");
        // 3: the dry run succeeded (and changed nothing: a dry run rolls back; RestoreApiTest proves that).
        assertThat(outputs[2].strip()).isEqualTo("SUCCEEDED");
        // 4: the mistake is named.
        assertThat(outputs[3]).contains("backupType");
    }

    static List<String> examples() throws Exception {
        String page = Files.readString(PAGE);
        String section = page.substring(page.indexOf("\n## Examples"));
        List<String> blocks = new ArrayList<>();
        Matcher m = BASH.matcher(section);
        while (m.find()) {
            blocks.add(m.group(1));
        }
        return blocks;
    }
}
