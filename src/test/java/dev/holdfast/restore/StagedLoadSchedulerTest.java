package dev.holdfast.restore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.holdfast.archive.Manifest;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The staged scheduler on its own, without a database: which task may start when. */
class StagedLoadSchedulerTest {

    private static Manifest.TableEntry table(String name, long size) {
        return new Manifest.TableEntry("public", name, List.of("id"), size, "data/" + name, "binary", Map.of());
    }

    @Test
    void keysWaitForTheirTableAndForeignKeysForBothTablesAndTheirKeys() {
        Manifest.TableEntry orders = table("orders", 100);
        Manifest.TableEntry customers = table("customers", 10);
        StagedLoadScheduler s = new StagedLoadScheduler(
                new Cancellation(null),
                List.of(customers, orders),
                Manifest.TableEntry::rowCount,
                Map.of("public.orders", List.of("CREATE INDEX ...")),
                List.of(new PostDataScript.ForeignKey("ALTER TABLE ...", Set.of("public.orders", "public.customers"))));

        StagedLoadScheduler.Task first = s.take();
        assertThat(first.describe()).isEqualTo("load public.orders"); // largest first
        StagedLoadScheduler.Task second = s.take();
        assertThat(second.describe()).isEqualTo("load public.customers");
        assertThat(s.finished(first, true)).isFalse();
        StagedLoadScheduler.Task keys = s.take();
        assertThat(keys.describe()).isEqualTo("keys public.orders"); // while customers still loads
        s.finished(keys, true);
        assertThat(s.finished(second, true)).isTrue(); // the last load
        StagedLoadScheduler.Task fk = s.take();
        assertThat(fk.describe()).isEqualTo("foreign-key public.customers,public.orders");
        s.finished(fk, true);
        assertThat(s.take()).isNull();
        assertThat(s.overlapped()).isEqualTo(1);
        assertThat(s.postTasks()).isEqualTo(2);
    }

    @Test
    void aFailedTaskStopsEveryOtherConnection() {
        Cancellation cancellation = new Cancellation(null);
        StagedLoadScheduler s = new StagedLoadScheduler(
                cancellation,
                List.of(table("a", 1), table("b", 1)),
                Manifest.TableEntry::rowCount,
                Map.of(),
                List.of());
        s.finished(s.take(), false);
        assertThat(cancellation.stopping()).isTrue();
        assertThatThrownBy(s::take).isInstanceOf(Cancellation.Stopped.class);
    }
}
