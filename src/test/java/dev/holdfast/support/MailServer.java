package dev.holdfast.support;

import com.icegreen.greenmail.util.GreenMail;
import com.icegreen.greenmail.util.ServerSetup;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import jakarta.mail.BodyPart;
import jakarta.mail.Multipart;
import jakarta.mail.Part;
import jakarta.mail.internet.MimeMessage;
import java.io.IOException;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import java.net.ServerSocket;
import java.util.List;
import java.util.Map;

/**
 * A real SMTP server (GreenMail) for every {@code @QuarkusTest}, with the mailer pointed at it and its
 * mock switched off. Tests reach it through a field annotated {@link Inject}, read what a recipient got
 * and can stop and restart it to play a mail server that is down.
 */
public class MailServer implements QuarkusTestResourceLifecycleManager {
    /** Marks the test field that receives the running server. */
    @Retention(RetentionPolicy.RUNTIME)
    @Target(ElementType.FIELD)
    public @interface Inject {}

    private int port;
    private volatile GreenMail greenMail;

    @Override
    public Map<String, String> start() {
        // A fixed port for the whole run, so that a restarted server is where the mailer expects it.
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        startSmtp();
        return Map.of(
                "quarkus.mailer.mock",
                "false",
                "quarkus.mailer.host",
                "127.0.0.1",
                "quarkus.mailer.port",
                Integer.toString(port),
                "quarkus.mailer.start-tls",
                "DISABLED",
                "quarkus.mailer.login",
                "DISABLED");
    }

    @Override
    public void inject(TestInjector injector) {
        injector.injectIntoFields(this, new TestInjector.AnnotatedAndMatchesType(Inject.class, MailServer.class));
    }

    @Override
    public synchronized void stop() {
        stopSmtp();
    }

    /** Starts (or restarts) the SMTP server on this run's port. */
    public synchronized void startSmtp() {
        if (greenMail == null) {
            GreenMail g = new GreenMail(new ServerSetup(port, "127.0.0.1", ServerSetup.PROTOCOL_SMTP));
            g.start();
            greenMail = g;
        }
    }

    /** Stops the SMTP server: connections are refused until {@link #startSmtp()}. */
    public synchronized void stopSmtp() {
        if (greenMail != null) {
            greenMail.stop();
            greenMail = null;
        }
    }

    /** The messages delivered to one address's mailbox so far (none while the server is stopped). */
    public List<MimeMessage> messagesTo(String address) {
        GreenMail g = greenMail;
        if (g == null) {
            return List.of();
        }
        return g.findReceivedMessages(u -> address.equalsIgnoreCase(u.getEmail()), m -> true)
                .toList();
    }

    /**
     * The first part of this MIME type ({@code text/plain}, {@code text/html}) of a message, decoded, with
     * SMTP's CRLF line ends turned back into LF.
     */
    public static String part(MimeMessage m, String mimeType) {
        try {
            String found = find(m, mimeType);
            if (found == null) {
                throw new AssertionError("no " + mimeType + " part in message '" + m.getSubject() + "'");
            }
            return found.replace("\r\n", "\n");
        } catch (jakarta.mail.MessagingException | IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String find(Part p, String mimeType) throws jakarta.mail.MessagingException, IOException {
        if (p.isMimeType(mimeType)) {
            return (String) p.getContent();
        }
        if (p.isMimeType("multipart/*")) {
            Multipart mp = (Multipart) p.getContent();
            for (int i = 0; i < mp.getCount(); i++) {
                BodyPart bp = mp.getBodyPart(i);
                String s = find(bp, mimeType);
                if (s != null) {
                    return s;
                }
            }
        }
        return null;
    }
}
