package dev.holdfast.web;

import dev.holdfast.api.PageRequest;
import io.quarkus.qute.Template;
import io.quarkus.qute.TemplateInstance;
import java.util.List;

/**
 * How the dashboard reads what a browser sends and pages what it lists: an empty field is "not set" (as an absent
 * JSON field is to the API), a ticked checkbox sends {@code true}, and a list page links to its neighbours.
 */
final class FormValues {
    private FormValues() {}

    /** The trimmed value, or null for a missing or blank field. */
    static String blank(String s) {
        return s == null || s.isBlank() ? null : s.trim();
    }

    /** The non-blank values, or null when none is left (a multi-select with nothing chosen). */
    static List<String> nonEmpty(List<String> values) {
        if (values == null) {
            return null;
        }
        List<String> out =
                values.stream().filter(v -> v != null && !v.isBlank()).toList();
        return out.isEmpty() ? null : out;
    }

    /** Whether a checkbox was ticked: browsers send its value ({@code true}) only then. */
    static boolean ticked(String checkbox) {
        return "true".equals(checkbox);
    }

    /** The 0-based page asked for: missing or negative is the first. */
    static int pageIndex(Integer page) {
        return page == null ? 0 : Math.max(0, page);
    }

    /** Adds the list page's neighbours, {@code prevPage} and {@code nextPage} (null at either end). */
    static TemplateInstance paged(Template page, PageRequest.Page<?> result) {
        return page.data("result", result)
                .data("prevPage", result.page() > 0 ? result.page() - 1 : null)
                .data("nextPage", result.page() + 1 < result.totalPages() ? result.page() + 1 : null);
    }
}
