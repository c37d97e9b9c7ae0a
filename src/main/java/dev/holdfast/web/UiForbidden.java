package dev.holdfast.web;

/** A dashboard action the user's role does not allow, or a form without a valid CSRF token: answered by a 403 page. */
public class UiForbidden extends RuntimeException {
    public UiForbidden(String message) {
        super(message);
    }
}
