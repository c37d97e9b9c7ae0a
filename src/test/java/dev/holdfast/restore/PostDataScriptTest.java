package dev.holdfast.restore;

import static org.assertj.core.api.Assertions.assertThat;

import dev.holdfast.pg.TableRef;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** How a post-data script is split for a staged restore, on pg_restore's own layout. */
class PostDataScriptTest {

    static final String SCRIPT = """
            --
            -- PostgreSQL database dump
            --

            SET statement_timeout = 0;
            SELECT pg_catalog.set_config('search_path', '', false);

            --
            -- Name: a a_pkey; Type: CONSTRAINT; Schema: public; Owner: -
            --

            ALTER TABLE ONLY public.a
                ADD CONSTRAINT a_pkey PRIMARY KEY (id);


            SET default_tablespace = '';

            --
            -- Name: b b_pkey; Type: CONSTRAINT; Schema: public; Owner: -
            --

            ALTER TABLE ONLY public.b
                ADD CONSTRAINT b_pkey PRIMARY KEY (id);


            --
            -- Name: a_x_idx; Type: INDEX; Schema: public; Owner: -
            --

            CREATE INDEX a_x_idx ON public.a USING btree (x);


            --
            -- Name: m_pkey_2024; Type: INDEX ATTACH; Schema: sales; Owner: -
            --

            ALTER INDEX sales.m_pkey ATTACH PARTITION sales.m_2024_pkey;


            --
            -- Name: b audit; Type: TRIGGER; Schema: public; Owner: -
            --

            CREATE TRIGGER audit AFTER INSERT ON public.b FOR EACH ROW EXECUTE FUNCTION public.f();


            --
            -- Name: b b_a_fk; Type: FK CONSTRAINT; Schema: public; Owner: -
            --

            ALTER TABLE ONLY public.b
                ADD CONSTRAINT b_a_fk FOREIGN KEY (a_id) REFERENCES public.a(id);


            --
            -- Name: COMMENT ON CONSTRAINT b_a_fk ON public.b; Type: COMMENT; Schema: public; Owner: -
            --

            COMMENT ON CONSTRAINT b_a_fk ON public.b IS 'why';


            --
            -- Name: a a_self_fk; Type: FK CONSTRAINT; Schema: public; Owner: -
            --

            ALTER TABLE ONLY public.a
                ADD CONSTRAINT a_self_fk FOREIGN KEY (parent) REFERENCES public.a(id) DEFERRABLE;


            --
            -- Name: a swallow; Type: TRIGGER; Schema: public; Owner: -
            --

            CREATE TRIGGER swallow BEFORE INSERT ON public.a FOR EACH ROW EXECUTE FUNCTION public.f();
            """;

    @Test
    void keysAndIndexesGroupByTableForeignKeysNameTheirTablesTheRestKeepsItsOrder() {
        PostDataScript split = PostDataScript.split(SCRIPT);
        assertThat(split.preamble()).contains("SET statement_timeout = 0;").contains("set_config('search_path'");
        assertThat(split.groups().keySet()).containsExactly("public.a", "public.b");
        assertThat(split.groups().get("public.a")).hasSize(2);
        assertThat(split.groups().get("public.a").get(1)).contains("CREATE INDEX a_x_idx");
        assertThat(split.before()).singleElement().asString().contains("ATTACH PARTITION");
        assertThat(split.foreignKeys())
                .extracting(PostDataScript.ForeignKey::tables)
                .containsExactly(Set.of("public.b", "public.a"), Set.of("public.a"));
        // a trigger that came before the foreign keys needs none of them: it keeps its order among the rest
        assertThat(split.after()).hasSize(3);
        assertThat(split.after().get(0)).contains("CREATE TRIGGER audit");
        assertThat(split.after().get(1)).contains("COMMENT ON CONSTRAINT b_a_fk");
        assertThat(split.after().get(2)).contains("CREATE TRIGGER swallow");
    }

    @Test
    void aScriptThatMovesObjectsToAnotherTablespaceIsNotSplit() {
        assertThat(PostDataScript.split(
                        SCRIPT.replace("SET default_tablespace = '';", "SET default_tablespace = fast;")))
                .isNull();
        assertThat(PostDataScript.split("SET x = 1;\n"))
                .isEqualTo(new PostDataScript("SET x = 1;\n\n", java.util.Map.of(), List.of(), List.of(), List.of()));
    }

    @Test
    void tableNamesAsPgDumpWritesThemParseIntoSchemaAndName() {
        assertThat(StagedLoadScheduler.parseQualified("public.bulk")).isEqualTo(new TableRef("public", "bulk"));
        assertThat(StagedLoadScheduler.parseQualified("\"Audit\".\"EventLog\""))
                .isEqualTo(new TableRef("Audit", "EventLog"));
        assertThat(StagedLoadScheduler.parseQualified("public.\"select\"")).isEqualTo(new TableRef("public", "select"));
        assertThat(StagedLoadScheduler.parseQualified("public.\"a.b \"\"c\"\"\""))
                .isEqualTo(new TableRef("public", "a.b \"c\""));
        // anything else is no table of the restore, so its tasks wait for every load
        assertThat(StagedLoadScheduler.parseQualified("bulk").schema()).isEmpty();
        assertThat(StagedLoadScheduler.parseQualified("public.Bulk").schema()).isEmpty();
        assertThat(StagedLoadScheduler.parseQualified("a.b.c").schema()).isEmpty();
        assertThat(StagedLoadScheduler.parseQualified("public.\"open").schema()).isEmpty();
    }
}
