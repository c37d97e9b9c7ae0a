package dev.holdfast.web;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;

/**
 * Double-submit CSRF tokens for the dashboard's forms: a random token lives in an HttpOnly, SameSite=Strict cookie
 * scoped to /ui and is repeated in a hidden field of every form (and in htmx's X-CSRF-Token header); a change is
 * accepted only when both are present and equal. A cross-site page can make the browser send the cookie but can
 * neither read it nor set it, so it cannot supply the matching field.
 */
public final class Csrf {
    /** The cookie's name. */
    public static final String COOKIE = "holdfast_csrf";
    /** The form field's name. */
    public static final String FIELD = "csrf";
    /** The header htmx sends the token in. */
    public static final String HEADER = "X-CSRF-Token";

    private static final SecureRandom RANDOM = new SecureRandom();

    private Csrf() {}

    /** A fresh token: 32 random bytes, URL-safe base64. */
    public static String newToken() {
        byte[] b = new byte[32];
        RANDOM.nextBytes(b);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    }

    /** Whether a cookie value looks like a token this class made (anything else is replaced, never echoed). */
    public static boolean wellFormed(String token) {
        return token != null && token.length() == 43 && token.matches("[A-Za-z0-9_-]+");
    }

    /** Whether the submitted token matches the cookie's, compared in constant time. */
    public static boolean matches(String cookie, String submitted) {
        if (!wellFormed(cookie) || submitted == null) {
            return false;
        }
        return MessageDigest.isEqual(
                cookie.getBytes(StandardCharsets.US_ASCII), submitted.getBytes(StandardCharsets.US_ASCII));
    }
}
