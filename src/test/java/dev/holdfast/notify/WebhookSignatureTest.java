package dev.holdfast.notify;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The webhook signature against a vector computed independently (Python's hmac module). */
class WebhookSignatureTest {
    static final byte[] BODY = "{\"event\":\"backup.failed\"}".getBytes(StandardCharsets.UTF_8);

    @Test
    void signsTimestampDotBodyWithHmacSha256() {
        // python3 -c "import hmac,hashlib; print(hmac.new(b\"It's a secret\",
        //     b'1700000000.{\"event\":\"backup.failed\"}', hashlib.sha256).hexdigest())"
        assertThat(WebhookSignature.sign("It's a secret", 1_700_000_000L, BODY))
                .isEqualTo("sha256=5a707e9a57415d592809a7240f758ae362c10cb51ec3a0408a17d9d6b26ffe01");
    }

    @Test
    void verificationFailsForAnotherSecretTimestampOrBody() {
        String sig = WebhookSignature.sign("s3cret", 1_700_000_000L, BODY);
        assertThat(WebhookSignature.verify("s3cret", 1_700_000_000L, BODY, sig)).isTrue();
        assertThat(WebhookSignature.verify("s3cret!", 1_700_000_000L, BODY, sig))
                .isFalse();
        assertThat(WebhookSignature.verify("s3cret", 1_700_000_001L, BODY, sig)).isFalse();
        assertThat(WebhookSignature.verify("s3cret", 1_700_000_000L, "{}".getBytes(StandardCharsets.UTF_8), sig))
                .isFalse();
        assertThat(WebhookSignature.verify("s3cret", 1_700_000_000L, BODY, null))
                .isFalse();
    }
}
