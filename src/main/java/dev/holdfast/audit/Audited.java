package dev.holdfast.audit;

import jakarta.enterprise.util.Nonbinding;
import jakarta.interceptor.InterceptorBinding;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Records every call of the annotated resource method in the audit trail ({@link AuditInterceptor}):
 * the caller, the action, the target (the {@code id} path parameter or the id of what was created),
 * the request body, and the outcome (ACCEPTED for queued work, SUCCEEDED, REFUSED with the problem
 * detail, or FAILED).
 */
@InterceptorBinding
@Retention(RetentionPolicy.RUNTIME)
@Target({ElementType.METHOD, ElementType.TYPE})
public @interface Audited {
    /** What was done, e.g. {@code backup.delete}. */
    @Nonbinding
    String action() default "";

    /** The kind of object acted on, e.g. {@code backup}. */
    @Nonbinding
    String target() default "";
}
