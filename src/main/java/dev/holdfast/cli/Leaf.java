package dev.holdfast.cli;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** A command that does something (as opposed to a group of commands): it reaches the shared {@link Context}. */
abstract class Leaf implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    Context ctx() {
        return ((HoldfastCli) spec.root().userObject()).context();
    }

    /** {@code --page} and {@code --size} of the list commands, as the API's paging parameters. */
    static final class Paging {
        @picocli.CommandLine.Option(names = "--page", defaultValue = "0", description = "Page, from 0")
        int page;

        @picocli.CommandLine.Option(names = "--size", defaultValue = "20", description = "Items per page (default 20)")
        int size;
    }

    /** Prints one resource: {@code GET path/id}. */
    Integer show(String path, String id) {
        ctx().output().item(ctx().api().get(path + "/" + id(id)));
        return ExitCodes.OK;
    }

    /** Query parameters from alternating names and values; null values are left out. */
    static Map<String, Object> params(Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            if (kv[i + 1] != null) {
                m.put((String) kv[i], kv[i + 1]);
            }
        }
        return m;
    }

    /** An id as a URL path segment: ids are UUIDs, so anything else is refused before it reaches a URL. */
    static String id(String id) {
        if (id == null || !id.matches("[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")) {
            throw new CliException(ExitCodes.USAGE, "'" + id + "' is not an id (a UUID such as 3f2b…-…)");
        }
        return id.toLowerCase(java.util.Locale.ROOT);
    }
}
