package dev.holdfast.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** The CLI jar run as users run it: its own process, only the given HOLDFAST_* variables, no terminal. */
final class CliProcess {
    static final Path JAR = Path.of("target/holdfast-cli.jar").toAbsolutePath();
    static final ObjectMapper JSON = new ObjectMapper();

    /** One run: exit code, stdout, stderr. */
    record Run(int code, String out, String err) {
        JsonNode json() throws IOException {
            return JSON.readTree(out);
        }
    }

    private CliProcess() {}

    /** {@code java -jar holdfast-cli.jar args…} in {@code dir}. */
    static Run cli(Path dir, Map<String, String> env, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(
                List.of(ProcessHandle.current().info().command().orElse("java"), "-jar", JAR.toString()));
        cmd.addAll(List.of(args));
        return exec(dir, cmd, env);
    }

    /** Any command line (e.g. the CLI under script(1)) with the CLI's environment, stdin from /dev/null. */
    static Run exec(Path dir, List<String> cmd, Map<String, String> env) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile());
        pb.environment().keySet().removeIf(k -> k.startsWith("HOLDFAST_"));
        pb.environment().putAll(env);
        pb.redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        Path out = Files.createTempFile(dir, "out", ".txt");
        Path err = Files.createTempFile(dir, "err", ".txt");
        pb.redirectOutput(out.toFile()).redirectError(err.toFile());
        Process p = pb.start();
        assertThat(p.waitFor(5, TimeUnit.MINUTES)).as("the CLI ends: " + cmd).isTrue();
        Run r = new Run(p.exitValue(), Files.readString(out), Files.readString(err));
        Files.delete(out);
        Files.delete(err);
        return r;
    }
}
