package dev.holdfast.api;

import io.quarkus.panache.common.Sort;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.QueryParam;
import java.util.List;
import java.util.Map;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.Parameter;

/**
 * Paging and sorting query parameters shared by every list endpoint: {@code page} (0-based),
 * {@code size} and {@code sort} ({@code field} or {@code field,asc|desc}).
 */
public class PageRequest {
    /** The highest page number: with the largest size (1000) its first row is still an int offset. */
    public static final int MAX_PAGE = Integer.MAX_VALUE / 1000;

    @QueryParam("page")
    @DefaultValue("0")
    @Min(0)
    // page × size is the first row's offset, an int: at most 1000 × MAX_PAGE keeps it one (not negative).
    @Max(MAX_PAGE)
    @Parameter(description = "Page number, starting at 0 (at most 2147483)")
    public int page;

    @QueryParam("size")
    @DefaultValue("20")
    @Min(1)
    @Max(1000)
    @Parameter(description = "Items per page (1 to holdfast.api.max-page-size, default 20)")
    public int size;

    @QueryParam("sort")
    @Parameter(description = "Sort as field or field,asc|desc; the fields each list accepts are in its description")
    public String sort;

    /**
     * Resolves {@link #sort} against the fields a list allows (JSON name to entity property).
     *
     * @throws ApiException.BadRequest naming the parameter when the field or direction is unknown
     */
    public Sort toSort(Map<String, String> allowed, String defaultField, Sort.Direction defaultDirection) {
        if (sort == null || sort.isBlank()) {
            return Sort.by(allowed.get(defaultField), defaultDirection).and("id", defaultDirection);
        }
        String[] parts = sort.split(",", -1);
        String field = parts[0].trim();
        String property = allowed.get(field);
        if (property == null || parts.length > 2) {
            throw ApiException.BadRequest.field(
                    "sort",
                    "'" + sort + "' is not a valid sort; fields: "
                            + allowed.keySet().stream().sorted().toList() + ", optionally followed by ,asc or ,desc");
        }
        Sort.Direction dir = defaultDirection;
        if (parts.length == 2) {
            dir = switch (parts[1].trim().toLowerCase()) {
                case "asc" -> Sort.Direction.Ascending;
                case "desc" -> Sort.Direction.Descending;
                default -> throw ApiException.BadRequest.field("sort", "direction must be asc or desc");
            };
        }
        return Sort.by(property, dir).and("id", dir);
    }

    /** Checks the page size against the configured maximum. */
    public void check(int maxPageSize) {
        if (size > maxPageSize) {
            throw ApiException.BadRequest.field("size", "must be at most " + maxPageSize);
        }
    }

    /** A page of results with its position in the whole list. */
    @Schema(description = "One page of a list, newest first, and how many there are in all")
    public record Page<T>(
            @Schema(required = true) List<T> items,

            @Schema(required = true, description = "This page's number, from 0")
            int page,

            @Schema(required = true, description = "Items per page")
            int size,

            @Schema(required = true, description = "Items in all pages")
            long totalItems,

            @Schema(required = true) int totalPages) {
        public static <T> Page<T> of(List<T> items, PageRequest req, long total) {
            return new Page<>(items, req.page, req.size, total, (int) ((total + req.size - 1) / req.size));
        }
    }
}
