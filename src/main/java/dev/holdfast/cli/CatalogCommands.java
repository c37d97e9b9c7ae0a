package dev.holdfast.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code holdfast catalog import}: rebuild the catalog from the archives in storage (after losing the catalog). */
@Command(
        name = "catalog",
        description = "Rebuild the catalog from the archives in storage.",
        subcommands = {CatalogCommands.Import.class})
final class CatalogCommands {
    @Command(name = "import", description = "Import every archive in storage the catalog does not know.")
    static final class Import extends Leaf {
        @Option(names = "--protect", description = "Protect the imported backups from retention")
        boolean protect;

        @Mixin
        BackupCommands.WaitOptions waiting = new BackupCommands.WaitOptions();

        @Override
        public Integer call() {
            Context c = ctx();
            ObjectNode body = c.api().json().createObjectNode().put("protect", protect);
            JsonNode accepted = c.api().post("api/catalog/import", body, null);
            if (!waiting.wait) {
                c.output().item(accepted.path("job"));
                return ExitCodes.OK;
            }
            JsonNode job = c.waitFor(accepted.path("job"), waiting.timeout);
            c.output().item(job);
            return c.outcome(job, "catalog import");
        }
    }

    private CatalogCommands() {}
}
