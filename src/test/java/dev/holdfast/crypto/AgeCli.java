package dev.holdfast.crypto;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The {@code age} and {@code age-keygen} command line tools (Debian package {@code age}, installed by .ci/run) for
 * interop tests: keys are generated per test into files and passed by path, never on a command line.
 */
public final class AgeCli {
    private AgeCli() {}

    /** A generated X25519 key pair: the identity file (0600) and its public recipient. */
    public record KeyPair(Path identityFile, String recipient) {}

    /** What a command printed and returned. */
    public record Result(int exit, byte[] out, String err) {}

    /** Generates a key pair with {@code age-keygen -o file}. */
    public static KeyPair keygen(Path file) throws IOException, InterruptedException {
        Result r = run(file.getParent(), "age-keygen", "-o", file.toString());
        if (r.exit() != 0) {
            throw new IllegalStateException("age-keygen failed: " + r.err());
        }
        String recipient = Files.readAllLines(file).stream()
                .filter(l -> l.startsWith("# public key: "))
                .map(l -> l.substring("# public key: ".length()).strip())
                .findFirst()
                .orElseThrow();
        return new KeyPair(file, recipient);
    }

    /** Runs a command in {@code cwd}; stdout is collected as bytes. */
    public static Result run(Path cwd, String... cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(List.of(cmd)).directory(cwd.toFile()).start();
        p.getOutputStream().close();
        CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> {
            try {
                return new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                return e.toString();
            }
        });
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IllegalStateException(String.join(" ", cmd) + " did not finish");
        }
        return new Result(p.exitValue(), out, err.join());
    }
}
