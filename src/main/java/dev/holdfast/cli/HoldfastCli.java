package dev.holdfast.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

/**
 * {@code holdfast}: the command line for Holdfast's REST API (backups, restores, jobs, schedules, retention, health),
 * for people at a terminal and for Kubernetes CronJobs. It is a thin client: it never opens the catalog or a source
 * database, and it starts without booting the service. Exit codes: {@link ExitCodes}; manual: docs/cli.md.
 */
@Command(
        name = "holdfast",
        mixinStandardHelpOptions = true,
        scope = ScopeType.INHERIT,
        versionProvider = HoldfastCli.Version.class,
        description = "Back up and restore PostgreSQL databases and media files through a Holdfast service.",
        subcommands = {
            BackupCommands.class,
            RestoreCommands.class,
            JobCommands.class,
            ScheduleCommands.class,
            RetentionCommands.class,
            DrillCommands.class,
            StatusCommand.class,
            CatalogCommands.class,
            CommandLine.HelpCommand.class
        },
        footer = {
            "",
            "Environment: HOLDFAST_URL; HOLDFAST_TOKEN or HOLDFAST_TOKEN_FILE; or HOLDFAST_OIDC_ISSUER, HOLDFAST_CLIENT_ID,",
            "HOLDFAST_CLIENT_SECRET or HOLDFAST_CLIENT_SECRET_FILE (client credentials). Secrets are never options.",
            "Exit codes: 0 ok, 1 job failed, 2 usage/invalid request, 3 authentication/permission, 4 unreachable/5xx,",
            "5 wait timed out (job still running), 6 conflict. See docs/cli.md."
        })
public final class HoldfastCli {
    @Option(
            names = "--url",
            scope = ScopeType.INHERIT,
            description = "The service's base URL (default: $HOLDFAST_URL, else http://localhost:8080)")
    URI url;

    @Option(
            names = "--token-file",
            scope = ScopeType.INHERIT,
            description = "A file holding the bearer token (default: $HOLDFAST_TOKEN_FILE)")
    Path tokenFile;

    @Option(
            names = {"-o", "--output"},
            scope = ScopeType.INHERIT,
            description = "table, json or yaml (default: table)")
    Output.Format output = Output.Format.table;

    @Option(
            names = "--progress",
            scope = ScopeType.INHERIT,
            description = "auto (a bar on a terminal, plain lines otherwise), bar, plain or none")
    ProgressView.Mode progress = ProgressView.Mode.auto;

    private final Map<String, String> env;
    private final PrintStream out;
    private final PrintStream err;
    private final Terminal terminal;
    private Context context;

    /** What the CLI can ask of the terminal: whether there is one, and a line typed at it. */
    interface Terminal {
        boolean interactive();

        String readLine();
    }

    HoldfastCli(Map<String, String> env, PrintStream out, PrintStream err, Terminal terminal) {
        this.env = env;
        this.out = out;
        this.err = err;
        this.terminal = terminal;
    }

    /**
     * The HTTP client, built on another thread while picocli reads the command line: building it initialises the
     * JDK's TLS (its trust store), a quarter of a second that would otherwise add to every command's start.
     */
    private static CompletableFuture<HttpClient> prebuilt;

    static HttpClient newHttpClient() {
        return HttpClient.newBuilder()
                .connectTimeout(Duration.ofSeconds(10))
                .followRedirects(HttpClient.Redirect.NEVER)
                .build();
    }

    public static void main(String[] args) {
        prebuilt = CompletableFuture.supplyAsync(HoldfastCli::newHttpClient);
        Terminal terminal = new Terminal() {
            @Override
            public boolean interactive() {
                return System.console() != null;
            }

            @Override
            public String readLine() {
                if (System.console() != null) {
                    return System.console().readLine();
                }
                try {
                    return new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
                } catch (java.io.IOException e) {
                    return null;
                }
            }
        };
        System.exit(run(args, System.getenv(), System.out, System.err, terminal));
    }

    /** Runs one command line and answers its exit code (the seam the tests use). */
    static int run(String[] args, Map<String, String> env, PrintStream out, PrintStream err, Terminal terminal) {
        HoldfastCli root = new HoldfastCli(env, out, err, terminal);
        CommandLine cl = new CommandLine(root);
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        cl.setCaseInsensitiveEnumValuesAllowed(true);
        cl.registerConverter(Duration.class, Durations::parse);
        cl.setParameterExceptionHandler((ex, args0) -> {
            // picocli's own message echoes every unmatched argument; one of them may be a secret someone tried to
            // pass as an option (--client-secret …). Name only the unknown options, never their values.
            if (ex instanceof CommandLine.UnmatchedArgumentException u) {
                List<String> options = u.getUnmatched().stream()
                        .filter(a -> a.startsWith("-"))
                        .map(a -> a.contains("=") ? a.substring(0, a.indexOf('=')) : a)
                        .toList();
                err.println("holdfast: " + (options.isEmpty() ? "unexpected arguments" : "unknown option " + options)
                        + " (secrets are never options: see --help for the environment variables)");
            } else {
                err.println("holdfast: " + ex.getMessage());
            }
            ex.getCommandLine().usage(err);
            return ExitCodes.USAGE;
        });
        cl.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            if (e instanceof CliException ce) {
                err.println("holdfast: " + ce.getMessage());
                return ce.exitCode();
            }
            err.println("holdfast: unexpected error: " + e);
            return ExitCodes.FAILED;
        });
        return cl.execute(args);
    }

    /** What every command uses, built on first use from the options and the environment. */
    Context context() {
        if (context == null) {
            ObjectMapper json = new ObjectMapper();
            HttpClient http = prebuilt != null ? prebuilt.join() : newHttpClient();
            URI base = url != null ? url : URI.create(env.getOrDefault("HOLDFAST_URL", "http://localhost:8080"));
            if (base.getScheme() == null || !base.getScheme().startsWith("http")) {
                throw new CliException(ExitCodes.USAGE, "the service URL must be http(s)://…, not " + base);
            }
            String b = base.toString();
            base = URI.create(b.endsWith("/") ? b : b + "/");
            Clock clock = Clock.systemUTC();
            TokenSource tokens = TokenSource.from(env, tokenFile, http, json, clock);
            ApiClient api =
                    new ApiClient(base, tokens, http, json, Duration.ofSeconds(60), d -> Thread.sleep(d.toMillis()));
            boolean tty = terminal.interactive();
            Duration interval = Durations.parse(env.getOrDefault("HOLDFAST_PROGRESS_INTERVAL", "5s"));
            int columns = parseInt(env.get("COLUMNS"), 100);
            ProgressView view = new ProgressView(ProgressView.resolve(progress, tty), err, clock, interval, columns);
            context = new Context(
                    api, new Output(output, out, json), new JobFollower(api, view, clock), terminal, err, env);
        }
        return context;
    }

    private static int parseInt(String s, int dflt) {
        try {
            return s == null ? dflt : Integer.parseInt(s.strip());
        } catch (NumberFormatException e) {
            return dflt;
        }
    }

    /** The version of the jar, from its manifest (the build's version), else "dev". */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = HoldfastCli.class.getPackage().getImplementationVersion();
            return new String[] {"holdfast " + (v == null ? "dev" : v)};
        }
    }
}
