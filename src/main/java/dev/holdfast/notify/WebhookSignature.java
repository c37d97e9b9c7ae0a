package dev.holdfast.notify;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The webhook signature: {@code sha256=} followed by the hex HMAC-SHA256, keyed with the webhook's
 * secret, of {@code <timestamp>.<body>}. The timestamp is inside the signed text so that a receiver
 * that rejects old timestamps also rejects replayed deliveries.
 */
public final class WebhookSignature {
    /** Prefix naming the algorithm, so that it can change without breaking receivers silently. */
    public static final String PREFIX = "sha256=";

    private WebhookSignature() {}

    /** The {@code X-Holdfast-Signature} value for a body sent with {@code X-Holdfast-Timestamp: timestamp}. */
    public static String sign(String secret, long timestamp, byte[] body) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            mac.update((timestamp + ".").getBytes(StandardCharsets.US_ASCII));
            mac.update(body);
            return PREFIX + HexFormat.of().formatHex(mac.doFinal());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is unavailable", e);
        }
    }

    /** Whether {@code signature} is the one for this body and timestamp (compared in constant time). */
    public static boolean verify(String secret, long timestamp, byte[] body, String signature) {
        return signature != null
                && MessageDigest.isEqual(
                        sign(secret, timestamp, body).getBytes(StandardCharsets.US_ASCII),
                        signature.getBytes(StandardCharsets.US_ASCII));
    }
}
