package dev.holdfast.storage;

import java.io.ByteArrayInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.net.URI;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.NoSuchFileException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;
import software.amazon.awssdk.core.exception.AbortedException;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.AbortMultipartUploadRequest;
import software.amazon.awssdk.services.s3.model.CompletedMultipartUpload;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.MultipartUpload;
import software.amazon.awssdk.services.s3.model.NoSuchBucketException;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.NoSuchUploadException;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * Archives as objects in one S3 (or S3-compatible) bucket under a key prefix, written by a streaming multipart
 * upload so that nothing is visible before {@link WritableArchive#commit()} and an existing object is never
 * overwritten.
 *
 * <p>Longer than most classes on purpose: the multipart writer (parts in flight, the conditional completion, abort
 * on every failure path), the ranged reader and the translation of the store's errors into messages that name the
 * bucket share one client, one prefix and one error vocabulary, and their invariants are easiest to check side by
 * side; the pieces that stand alone (credentials, settings, the start-up sweep) live in {@code StorageProducer}.
 *
 * <p>Memory: a writer holds the part being filled plus at most {@value #IN_FLIGHT_PARTS} parts being uploaded,
 * so one archive being written takes at most {@code partSize × (1 + IN_FLIGHT_PARTS)} bytes of heap (48 MiB with
 * the default 16 MiB parts), whatever its size; the archive is never staged whole on disk or in memory. Reads
 * stream the response body ({@code GetObject}, with a {@code Range} for {@link #open(String, long, long)}).
 *
 * <p>Atomicity: an archive smaller than one part is one conditional {@code PutObject}; a larger one is a multipart
 * upload that the store publishes in one step at {@code CompleteMultipartUpload}. Both carry
 * {@code If-None-Match: *}, which AWS S3 (and s3proxy, and current MinIO) refuse with 412 when the key exists,
 * atomically. A store that ignores the header would overwrite; to narrow that window the object is also looked up
 * ({@code HeadObject}) just before completing, which cannot exclude a writer that completes in between.
 *
 * <p>The instance owns the {@link S3Client} it is given and closes it in {@link #close()}. Error messages name
 * the bucket, key and the store's error code, never credentials.
 */
public final class S3ArchiveStorage implements ArchiveStorage, AutoCloseable {
    /** The smallest part S3 accepts (except the last one). */
    public static final long MIN_PART_SIZE = 5L * 1024 * 1024;

    /** S3 does not accept larger parts. */
    public static final long MAX_PART_SIZE = 5L * 1024 * 1024 * 1024;

    /** S3's limit on parts per upload. */
    static final int MAX_PARTS = 10_000;

    /** Parts of one archive uploaded while the next one fills. */
    public static final int IN_FLIGHT_PARTS = 2;

    /**
     * Where the archives live and how they are written.
     *
     * @param bucket the bucket (it must exist)
     * @param prefix key prefix, empty or ending in {@code /} (see {@link #normalizePrefix})
     * @param partSize bytes per multipart part, at least {@link #MIN_PART_SIZE}
     * @param endpoint for messages only: where the store is ({@code null}: AWS)
     */
    public record Settings(String bucket, String prefix, long partSize, URI endpoint) {
        public Settings {
            Objects.requireNonNull(bucket, "bucket");
            prefix = normalizePrefix(prefix);
            if (partSize < MIN_PART_SIZE || partSize > MAX_PART_SIZE) {
                throw new IllegalArgumentException(
                        "part size must be between 5 MiB and 5 GiB (S3's limits), got " + partSize + " bytes");
            }
        }
    }

    private final S3Client s3;
    private final Settings settings;
    private final ExecutorService uploads;

    public S3ArchiveStorage(S3Client s3, Settings settings) {
        this.s3 = Objects.requireNonNull(s3, "s3");
        this.settings = settings;
        AtomicInteger n = new AtomicInteger();
        ThreadFactory threads = r -> {
            Thread t = new Thread(r, "s3-upload-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
        this.uploads = Executors.newCachedThreadPool(threads);
    }

    /**
     * A prefix as keys use it: no leading {@code /}, and a {@code /} at the end unless empty, so {@code holdfast}
     * and {@code holdfast/} both put archives "in the folder" {@code holdfast/}.
     */
    public static String normalizePrefix(String prefix) {
        String p = prefix == null ? "" : prefix.strip();
        while (p.startsWith("/")) {
            p = p.substring(1);
        }
        return p.isEmpty() || p.endsWith("/") ? p : p + "/";
    }

    /** The bucket and prefix, for messages and health data. */
    public String location() {
        return "s3://" + settings.bucket() + "/" + settings.prefix();
    }

    /** The settings this storage runs with. */
    public Settings settings() {
        return settings;
    }

    private String objectKey(String key) {
        LocalArchiveStorage.validateKey(key);
        return settings.prefix() + key;
    }

    @Override
    public WritableArchive create(String key) throws IOException {
        String objectKey = objectKey(key);
        if (exists(key)) {
            throw new FileAlreadyExistsException(objectKey, null, "an archive with this key exists in " + location());
        }
        return new S3Writable(key, objectKey);
    }

    @Override
    public InputStream open(String key) throws IOException {
        String objectKey = objectKey(key);
        try {
            return new BodyStream(s3.getObject(b -> b.bucket(settings.bucket()).key(objectKey)));
        } catch (SdkException e) {
            throw failure("reading", objectKey, e);
        }
    }

    @Override
    public InputStream open(String key, long offset, long length) throws IOException {
        String objectKey = objectKey(key);
        if (offset < 0 || length < 0) {
            throw new IllegalArgumentException("range " + offset + "+" + length + " is outside " + key);
        }
        if (length == 0) {
            long size = size(key);
            if (offset > size) {
                throw new IllegalArgumentException(
                        "range " + offset + "+0 is outside " + key + " (" + size + " bytes)");
            }
            return InputStream.nullInputStream();
        }
        String range = "bytes=" + offset + "-" + (offset + length - 1);
        BodyStream body;
        try {
            body = new BodyStream(
                    s3.getObject(b -> b.bucket(settings.bucket()).key(objectKey).range(range)));
        } catch (S3Exception e) {
            if (e.statusCode() == 416) {
                throw new IllegalArgumentException("range " + offset + "+" + length + " is outside " + key);
            }
            throw failure("reading", objectKey, e);
        } catch (SdkException e) {
            throw failure("reading", objectKey, e);
        }
        // S3 answers a range that runs past the end with what there is: the caller asked for more than exists.
        Long got = body.response().contentLength();
        if (got == null || got != length) {
            body.close();
            throw new IllegalArgumentException("range " + offset + "+" + length + " is outside " + key + " ("
                    + body.response().contentRange() + ")");
        }
        return body;
    }

    @Override
    public long size(String key) throws IOException {
        String objectKey = objectKey(key);
        try {
            return s3.headObject(b -> b.bucket(settings.bucket()).key(objectKey))
                    .contentLength();
        } catch (SdkException e) {
            throw failure("looking up", objectKey, e);
        }
    }

    @Override
    public boolean exists(String key) throws IOException {
        try {
            size(key);
            return true;
        } catch (NoSuchFileException e) {
            return false;
        }
    }

    @Override
    public void delete(String key) throws IOException {
        String objectKey = objectKey(key);
        try {
            s3.deleteObject(b -> b.bucket(settings.bucket()).key(objectKey));
        } catch (SdkException e) {
            throw failure("deleting", objectKey, e);
        }
    }

    @Override
    public List<String> keys() throws IOException {
        List<String> keys = new ArrayList<>();
        for (S3Object o : objects()) {
            keys.add(o.key().substring(settings.prefix().length()));
        }
        keys.sort(null);
        return keys;
    }

    /** Committed archives under the prefix: keys that are valid archive keys, not "sub-folders" or other objects. */
    private List<S3Object> objects() throws IOException {
        List<S3Object> out = new ArrayList<>();
        try {
            for (S3Object o : s3.listObjectsV2Paginator(
                            b -> b.bucket(settings.bucket()).prefix(settings.prefix()))
                    .contents()) {
                String rest = o.key().substring(settings.prefix().length());
                if (isArchiveKey(rest)) {
                    out.add(o);
                }
            }
        } catch (SdkException e) {
            throw failure("listing", settings.prefix(), e);
        }
        return out;
    }

    private static boolean isArchiveKey(String key) {
        try {
            LocalArchiveStorage.validateKey(key);
            return true;
        } catch (InvalidArchiveKeyException e) {
            return false;
        }
    }

    @Override
    public long usedBytes() throws IOException {
        long total = 0;
        for (S3Object o : objects()) {
            total += o.size();
        }
        return total;
    }

    /** A bucket has no fixed size. */
    @Override
    public OptionalLong freeBytes() {
        return OptionalLong.empty();
    }

    @Override
    public void discardPartial(String key) throws IOException {
        String objectKey = objectKey(key);
        for (MultipartUpload u : uploadsUnder(objectKey)) {
            if (u.key().equals(objectKey)) {
                abortUpload(objectKey, u.uploadId());
            }
        }
    }

    /**
     * Aborts multipart uploads under the prefix that were started more than {@code olderThan} ago: what an instance
     * killed mid-backup left (it could not abort its own upload; the store keeps and bills the parts). The age
     * guard spares uploads of instances still writing. Returns how many were aborted.
     */
    public int sweepStaleUploads(Duration olderThan) throws IOException {
        // The system clock, not TimeSource: it is compared with the store's own timestamps.
        Instant cutoff = Clock.systemUTC().instant().minus(olderThan);
        int aborted = 0;
        for (MultipartUpload u : uploadsUnder(settings.prefix())) {
            if (!u.initiated().isAfter(cutoff)) {
                abortUpload(u.key(), u.uploadId());
                aborted++;
            }
        }
        return aborted;
    }

    private List<MultipartUpload> uploadsUnder(String prefix) throws IOException {
        List<MultipartUpload> out = new ArrayList<>();
        try {
            s3.listMultipartUploadsPaginator(b -> b.bucket(settings.bucket()).prefix(prefix))
                    .uploads()
                    .forEach(out::add);
        } catch (SdkException e) {
            throw failure("listing the uploads under", prefix, e);
        }
        return out;
    }

    private void abortUpload(String objectKey, String uploadId) throws IOException {
        try {
            s3.abortMultipartUpload(AbortMultipartUploadRequest.builder()
                    .bucket(settings.bucket())
                    .key(objectKey)
                    .uploadId(uploadId)
                    .build());
        } catch (NoSuchUploadException gone) {
            // Completed or aborted meanwhile: nothing left to discard.
        } catch (SdkException e) {
            throw failure("aborting the upload of", objectKey, e);
        }
    }

    /** Readiness: the bucket exists and these credentials may use it ({@code HeadBucket}). */
    @Override
    public void probe() throws IOException {
        try {
            s3.headBucket(b -> b.bucket(settings.bucket()));
        } catch (S3Exception e) {
            if (e.statusCode() == 404) {
                // A HEAD answer has no body, so no error code: 404 is the bucket.
                throw failure(
                        "checking",
                        "",
                        NoSuchBucketException.builder()
                                .statusCode(404)
                                .message("no such bucket")
                                .build());
            }
            throw failure("checking", "", e);
        } catch (SdkException e) {
            throw failure("checking", "", e);
        }
    }

    /** Stops the upload threads and closes the client. */
    @Override
    public void close() {
        uploads.shutdownNow();
        s3.close();
    }

    /**
     * An SDK failure as an {@link IOException} saying what went wrong in terms an operator can act on. Only the
     * store's error code and message are used (an S3 error body never carries the secret key), and the SDK's
     * exception stays as the cause.
     */
    IOException failure(String doing, String objectKey, SdkException e) {
        String where = "s3://" + settings.bucket() + "/" + objectKey;
        if (e instanceof AbortedException || Thread.currentThread().isInterrupted()) {
            InterruptedIOException io = new InterruptedIOException("interrupted while " + doing + " " + where);
            io.initCause(e);
            return io;
        }
        if (e instanceof NoSuchKeyException) {
            return new NoSuchFileException(where, null, "no archive with this key");
        }
        if (e instanceof NoSuchBucketException) {
            return new IOException(
                    "S3 bucket '" + settings.bucket() + "' does not exist at " + endpoint() + " ("
                            + "holdfast.storage.s3.bucket; Holdfast does not create buckets)",
                    e);
        }
        if (e instanceof S3Exception s) {
            String code =
                    s.awsErrorDetails() == null ? null : s.awsErrorDetails().errorCode();
            int status = s.statusCode();
            if (status == 404 && (code == null || "NotFound".equals(code) || "NoSuchKey".equals(code))) {
                // HEAD answers carry no body, so no error code: a 404 there is a missing key.
                return new NoSuchFileException(where, null, "no archive with this key");
            }
            if ("NoSuchBucket".equals(code)) {
                return new IOException(
                        "S3 bucket '" + settings.bucket() + "' does not exist at " + endpoint()
                                + " (holdfast.storage.s3.bucket; Holdfast does not create buckets)",
                        e);
            }
            if (status == 403
                    || "AccessDenied".equals(code)
                    || "InvalidAccessKeyId".equals(code)
                    || "SignatureDoesNotMatch".equals(code)) {
                return new IOException(
                        "S3 denied " + doing + " " + where + " (" + status + (code == null ? "" : " " + code)
                                + "): check the credentials (holdfast.storage.s3.access-key-id and"
                                + " secret-access-key, or the SDK's default chain) and the bucket's policy",
                        e);
            }
            String msg =
                    s.awsErrorDetails() == null ? null : s.awsErrorDetails().errorMessage();
            return new IOException(
                    "S3 failed " + doing + " " + where + ": " + status + (code == null ? "" : " " + code)
                            + (msg == null ? "" : " " + msg),
                    e);
        }
        if (e instanceof SdkClientException) {
            return new IOException(
                    "S3 endpoint " + endpoint() + " did not answer while " + doing + " " + where + ": "
                            + rootMessage(e),
                    e);
        }
        return new IOException("S3 failed " + doing + " " + where + ": " + rootMessage(e), e);
    }

    private String endpoint() {
        return settings.endpoint() == null ? "AWS" : settings.endpoint().toString();
    }

    private static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return t.getClass().getSimpleName() + (t.getMessage() == null ? "" : ": " + t.getMessage());
    }

    /** A response body that is aborted, not drained, when closed before its end (a ranged reader may stop early). */
    private static final class BodyStream extends FilterInputStream {
        private final software.amazon.awssdk.core.ResponseInputStream<GetObjectResponse> body;
        private boolean ended;

        BodyStream(software.amazon.awssdk.core.ResponseInputStream<GetObjectResponse> body) {
            super(body);
            this.body = body;
        }

        GetObjectResponse response() {
            return body.response();
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            ended |= b < 0;
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = super.read(b, off, len);
            ended |= n < 0;
            return n;
        }

        @Override
        public void close() throws IOException {
            if (!ended) {
                body.abort();
            }
            super.close();
        }
    }

    /**
     * A multipart upload in the making. The upload itself starts with the first full part, so an archive smaller
     * than one part is a single conditional PutObject at commit. Full parts are handed to the upload threads; the
     * writer blocks while {@value #IN_FLIGHT_PARTS} are in flight. The SHA-256 of the whole archive is taken on
     * those threads too, part after part in order.
     */
    private final class S3Writable implements WritableArchive {
        private final String key;
        private final String objectKey;
        private final Semaphore slots = new Semaphore(IN_FLIGHT_PARTS);
        private final List<CompletableFuture<CompletedPart>> parts = new ArrayList<>();
        private final MessageDigest sha;
        private final OutputStream out;
        private CompletableFuture<Void> digested = CompletableFuture.completedFuture(null);
        private byte[] buffer;
        private int filled;
        private long written;
        private String uploadId;
        private String archiveSha;
        private boolean committed;
        private boolean aborted;

        S3Writable(String key, String objectKey) {
            this.key = key;
            this.objectKey = objectKey;
            try {
                this.sha = MessageDigest.getInstance("SHA-256");
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException(e);
            }
            this.out = new OutputStream() {
                @Override
                public void write(int b) throws IOException {
                    write(new byte[] {(byte) b}, 0, 1);
                }

                @Override
                public void write(byte[] b, int off, int len) throws IOException {
                    append(b, off, len);
                }

                @Override
                public void close() {
                    // Only commit() or abort() end the upload.
                }
            };
        }

        @Override
        public String key() {
            return key;
        }

        @Override
        public OutputStream stream() {
            return out;
        }

        @Override
        public synchronized long bytesWritten() {
            return written;
        }

        @Override
        public Optional<String> sha256() {
            return Optional.ofNullable(archiveSha);
        }

        private synchronized void append(byte[] b, int off, int len) throws IOException {
            checkWritable();
            while (len > 0) {
                if (buffer == null) {
                    buffer = new byte[(int) settings.partSize()];
                    filled = 0;
                }
                int n = Math.min(len, buffer.length - filled);
                System.arraycopy(b, off, buffer, filled, n);
                filled += n;
                written += n;
                off += n;
                len -= n;
                if (filled == buffer.length) {
                    sendPart();
                }
            }
        }

        /** Hands the full buffer to the upload threads; waits while too many parts are in flight. */
        private void sendPart() throws IOException {
            failFast();
            if (parts.size() == MAX_PARTS) {
                throw new IOException("archive " + key + " needs more than " + MAX_PARTS + " parts of "
                        + settings.partSize() + " bytes (S3's limit); raise holdfast.storage.s3.part-size");
            }
            if (uploadId == null) {
                try {
                    uploadId = s3.createMultipartUpload(
                                    b -> b.bucket(settings.bucket()).key(objectKey))
                            .uploadId();
                } catch (SdkException e) {
                    throw failure("starting the upload of", objectKey, e);
                }
            }
            try {
                slots.acquire();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("interrupted while uploading " + key);
            }
            byte[] part = buffer;
            int length = filled;
            int number = parts.size() + 1;
            String upload = uploadId;
            buffer = null;
            filled = 0;
            // Digest in order (each step after the previous one), upload in parallel; the slot frees when both are
            // done.
            CompletableFuture<Void> digest = digested.thenRunAsync(() -> sha.update(part, 0, length), uploads);
            digested = digest;
            CompletableFuture<CompletedPart> sent = CompletableFuture.supplyAsync(
                    () -> {
                        try {
                            String etag = s3.uploadPart(
                                            b -> b.bucket(settings.bucket())
                                                    .key(objectKey)
                                                    .uploadId(upload)
                                                    .partNumber(number)
                                                    .contentLength((long) length),
                                            RequestBody.fromContentProvider(
                                                    () -> new ByteArrayInputStream(part, 0, length),
                                                    length,
                                                    "application/octet-stream"))
                                    .eTag();
                            return CompletedPart.builder()
                                    .partNumber(number)
                                    .eTag(etag)
                                    .build();
                        } catch (SdkException e) {
                            throw new CompletionException(failure("uploading part " + number + " of", objectKey, e));
                        }
                    },
                    uploads);
            parts.add(sent);
            CompletableFuture.allOf(digest, sent).whenComplete((ok, err) -> slots.release());
        }

        /** Stops the writer at the first failed part rather than at commit. */
        private void failFast() throws IOException {
            for (CompletableFuture<CompletedPart> p : parts) {
                if (p.isCompletedExceptionally()) {
                    awaitPart(p);
                }
            }
        }

        private CompletedPart awaitPart(CompletableFuture<?> f) throws IOException {
            try {
                return (CompletedPart) f.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("interrupted while uploading " + key);
            } catch (ExecutionException e) {
                Throwable c = e.getCause() instanceof CompletionException ce ? ce.getCause() : e.getCause();
                if (c instanceof IOException io) {
                    throw io;
                }
                throw new IOException("uploading " + key + " failed: " + c, c);
            }
        }

        private void checkWritable() {
            if (committed || aborted) {
                throw new IllegalStateException("archive '" + key + "' is " + (committed ? "committed" : "aborted"));
            }
        }

        @Override
        public synchronized void commit() throws IOException {
            if (committed) {
                return;
            }
            if (aborted) {
                throw new IllegalStateException("archive '" + key + "' was aborted");
            }
            try {
                if (uploadId == null) {
                    putWhole();
                } else {
                    if (filled > 0) {
                        sendPart();
                    }
                    completeUpload();
                }
                committed = true;
            } catch (IOException | RuntimeException e) {
                abort();
                throw e;
            }
        }

        /** Less than one part: one conditional PutObject publishes it. */
        private void putWhole() throws IOException {
            byte[] data = buffer == null ? new byte[0] : buffer;
            int length = filled;
            sha.update(data, 0, length);
            try {
                s3.putObject(
                        b -> b.bucket(settings.bucket())
                                .key(objectKey)
                                .ifNoneMatch("*")
                                .contentLength((long) length),
                        RequestBody.fromContentProvider(
                                () -> new ByteArrayInputStream(data, 0, length), length, "application/octet-stream"));
            } catch (S3Exception e) {
                throw existsOr(e);
            } catch (SdkException e) {
                throw failure("storing", objectKey, e);
            }
            buffer = null;
            archiveSha = HexFormat.of().formatHex(sha.digest());
        }

        private void completeUpload() throws IOException {
            List<CompletedPart> done = new ArrayList<>();
            for (CompletableFuture<CompletedPart> p : parts) {
                done.add(awaitPart(p));
            }
            awaitPart(digested.thenApply(v -> (CompletedPart) null));
            // For stores that ignore If-None-Match; the condition below is what makes it atomic where honoured.
            if (exists(key)) {
                throw new FileAlreadyExistsException(
                        objectKey, null, "an archive with this key exists in " + location());
            }
            try {
                s3.completeMultipartUpload(b -> b.bucket(settings.bucket())
                        .key(objectKey)
                        .uploadId(uploadId)
                        .ifNoneMatch("*")
                        .multipartUpload(
                                CompletedMultipartUpload.builder().parts(done).build()));
            } catch (S3Exception e) {
                throw existsOr(e);
            } catch (SdkException e) {
                throw failure("completing the upload of", objectKey, e);
            }
            archiveSha = HexFormat.of().formatHex(sha.digest());
        }

        /** 412 (or 409 for a concurrent conditional write) means the key is taken. */
        private IOException existsOr(S3Exception e) {
            if (e.statusCode() == 412 || e.statusCode() == 409) {
                FileAlreadyExistsException x = new FileAlreadyExistsException(
                        objectKey, null, "an archive with this key exists in " + location());
                x.initCause(e);
                return x;
            }
            return failure("storing", objectKey, e);
        }

        @Override
        public synchronized void abort() {
            if (committed || aborted) {
                return;
            }
            aborted = true;
            buffer = null;
            // Let parts in flight end first, so none lands after the abort (some stores would keep it).
            for (CompletableFuture<CompletedPart> p : parts) {
                try {
                    p.join();
                } catch (RuntimeException ignored) {
                    // A failed part needs no abort of its own.
                }
            }
            if (uploadId != null) {
                try {
                    abortUpload(objectKey, uploadId);
                } catch (IOException e) {
                    // The start-up sweep (sweepStaleUploads) or discardPartial aborts it later.
                }
            }
        }
    }
}
