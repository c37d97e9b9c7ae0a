package dev.holdfast.storage;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.List;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Pattern;

/**
 * Archives as files in one local directory (0700), each written to a private temp file, fsynced and
 * atomically renamed into place, so a crash leaves either the complete archive or none.
 */
public final class LocalArchiveStorage implements ArchiveStorage {
    /** Keys are plain file names: no separators, no leading dot (temps start with one), nothing odd. */
    private static final Pattern KEY = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9._-]{0,199}");

    private static final Pattern TEMP = Pattern.compile("\\..+\\.tmp-[0-9a-f]{16}");
    private static final SecureRandom RANDOM = new SecureRandom();

    private final Path root;
    private final Set<PosixFilePermission> fileMode;

    /**
     * Uses {@code root} (created 0700 when missing) with archive files of {@code fileMode}, an octal string
     * like {@code "0600"} ({@code holdfast.archive.file-mode}).
     */
    public LocalArchiveStorage(Path root, String fileMode) throws IOException {
        this.fileMode = parseMode(fileMode);
        this.root = root.toAbsolutePath().normalize();
        if (!Files.isDirectory(this.root)) {
            Files.createDirectories(
                    this.root, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            // createDirectories applies the umask; the mode must be exact.
            Files.setPosixFilePermissions(this.root, PosixFilePermissions.fromString("rwx------"));
        }
    }

    /** The directory holding the archives. */
    public Path root() {
        return root;
    }

    /** Parses an octal mode such as {@code 0600} or {@code 640}. */
    public static Set<PosixFilePermission> parseMode(String mode) {
        if (mode == null || !mode.matches("0?[0-7]{3}")) {
            throw new IllegalArgumentException("file mode must be octal like 0600, got '" + mode + "'");
        }
        int bits = Integer.parseInt(mode, 8);
        Set<PosixFilePermission> set = EnumSet.noneOf(PosixFilePermission.class);
        PosixFilePermission[] order = {
            PosixFilePermission.OTHERS_EXECUTE,
            PosixFilePermission.OTHERS_WRITE,
            PosixFilePermission.OTHERS_READ,
            PosixFilePermission.GROUP_EXECUTE,
            PosixFilePermission.GROUP_WRITE,
            PosixFilePermission.GROUP_READ,
            PosixFilePermission.OWNER_EXECUTE,
            PosixFilePermission.OWNER_WRITE,
            PosixFilePermission.OWNER_READ
        };
        for (int i = 0; i < order.length; i++) {
            if ((bits & (1 << i)) != 0) {
                set.add(order[i]);
            }
        }
        if (!set.contains(PosixFilePermission.OWNER_READ) || !set.contains(PosixFilePermission.OWNER_WRITE)) {
            throw new IllegalArgumentException("file mode " + mode + " must let the owner read and write");
        }
        return set;
    }

    /** Throws unless {@code key} is a safe plain file name. */
    public static void validateKey(String key) {
        if (key == null || !KEY.matcher(key).matches()) {
            throw new InvalidArchiveKeyException(
                    String.valueOf(key),
                    "use 1-200 characters of letters, digits, '.', '_' and '-', not starting with '.' or '-'");
        }
        if (key.contains("..")) {
            throw new InvalidArchiveKeyException(key, "must not contain '..'");
        }
    }

    @Override
    public WritableArchive create(String key) throws IOException {
        validateKey(key);
        Path target = root.resolve(key);
        if (Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
            throw new FileAlreadyExistsException(target.toString(), null, "an archive with this key exists");
        }
        byte[] r = new byte[8];
        RANDOM.nextBytes(r);
        Path temp = root.resolve("." + key + ".tmp-" + HexFormat.of().formatHex(r));
        FileChannel ch = FileChannel.open(
                temp,
                EnumSet.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE),
                PosixFilePermissions.asFileAttribute(fileMode));
        try {
            // The umask may have removed bits the operator asked for.
            Files.setPosixFilePermissions(temp, fileMode);
        } catch (IOException | RuntimeException e) {
            ch.close();
            Files.deleteIfExists(temp);
            throw e;
        }
        return new LocalWritable(key, target, temp, ch);
    }

    @Override
    public InputStream open(String key) throws IOException {
        return open(key, 0, size(key));
    }

    @Override
    public InputStream open(String key, long offset, long length) throws IOException {
        return new ChannelRangeInputStream(existing(key), offset, length);
    }

    @Override
    public long size(String key) throws IOException {
        return Files.size(existing(key));
    }

    @Override
    public boolean exists(String key) {
        validateKey(key);
        return Files.isRegularFile(root.resolve(key), LinkOption.NOFOLLOW_LINKS);
    }

    @Override
    public void delete(String key) throws IOException {
        validateKey(key);
        if (Files.deleteIfExists(root.resolve(key))) {
            syncDirectory(root);
        }
    }

    @Override
    public List<String> keys() throws IOException {
        List<String> keys = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(root)) {
            for (Path p : ds) {
                String n = p.getFileName().toString();
                if (KEY.matcher(n).matches()
                        && !n.contains("..")
                        && Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
                    keys.add(n);
                }
            }
        }
        keys.sort(null);
        return keys;
    }

    @Override
    public long usedBytes() throws IOException {
        long total = 0;
        for (String k : keys()) {
            try {
                total += Files.size(root.resolve(k));
            } catch (NoSuchFileException deletedMeanwhile) {
                // Retention may delete while we add up; a vanished archive uses no space.
            }
        }
        return total;
    }

    @Override
    public OptionalLong freeBytes() throws IOException {
        return OptionalLong.of(Files.getFileStore(root).getUsableSpace());
    }

    @Override
    public OptionalLong capacityBytes() throws IOException {
        return OptionalLong.of(Files.getFileStore(root).getTotalSpace());
    }

    /**
     * Deletes temp files older than {@code olderThan}, left by a process that died mid-write. The age
     * guard keeps it from deleting the temp of another instance sharing the directory that is still writing
     * (its modification time advances with every write). Returns how many were removed.
     */
    public int cleanupStaleTemps(Duration olderThan) throws IOException {
        // The system clock, not TimeSource: it is compared with modification times the operating system stamps.
        Instant cutoff = Clock.systemUTC().instant().minus(olderThan);
        int removed = 0;
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(root)) {
            for (Path p : ds) {
                if (!TEMP.matcher(p.getFileName().toString()).matches()) {
                    continue;
                }
                FileTime mtime = Files.getLastModifiedTime(p, LinkOption.NOFOLLOW_LINKS);
                if (mtime.toInstant().isBefore(cutoff) && Files.deleteIfExists(p)) {
                    removed++;
                }
            }
        }
        if (removed > 0) {
            syncDirectory(root);
        }
        return removed;
    }

    @Override
    public void discardPartial(String key) throws IOException {
        validateKey(key);
        String prefix = "." + key + ".tmp-";
        boolean removed = false;
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(root)) {
            for (Path p : ds) {
                String name = p.getFileName().toString();
                if (name.startsWith(prefix) && TEMP.matcher(name).matches()) {
                    removed |= Files.deleteIfExists(p);
                }
            }
        }
        if (removed) {
            syncDirectory(root);
        }
    }

    /** Startup cleanup: temps untouched for an hour cannot belong to a live writer. */
    public int cleanupStaleTemps() throws IOException {
        return cleanupStaleTemps(Duration.ofHours(1));
    }

    private Path existing(String key) throws NoSuchFileException {
        validateKey(key);
        Path p = root.resolve(key);
        if (!Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
            throw new NoSuchFileException(p.toString(), null, "no archive with this key");
        }
        return p;
    }

    private static void syncDirectory(Path dir) throws IOException {
        // A rename or unlink is only durable once the directory entry itself reaches the disk.
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        }
    }

    /** A temp file on its way to becoming an archive. */
    @Override
    public boolean cheapRangedReads() {
        return true;
    }

    /** Archive bytes between early write-backs (see {@code LocalWritable.writeBackEarly}). */
    static final long WRITE_BACK_EVERY = 8L << 20;

    private static final java.util.concurrent.Executor WRITE_BACK =
            java.util.concurrent.Executors.newCachedThreadPool(r -> {
                Thread t = new Thread(r, "archive-write-back");
                t.setDaemon(true);
                return t;
            });

    private static final class LocalWritable implements WritableArchive {
        private final String key;
        private final Path target;
        private final Path temp;
        private final FileChannel channel;
        private final OutputStream out;
        private long written;
        private long writeBackMark;
        private CompletableFuture<Void> writingBack = CompletableFuture.completedFuture(null);
        private volatile IOException writeBackFailure;
        private boolean committed;
        private boolean aborted;

        LocalWritable(String key, Path target, Path temp, FileChannel channel) {
            this.key = key;
            this.target = target;
            this.temp = temp;
            this.channel = channel;
            OutputStream raw = Channels.newOutputStream(channel);
            this.out = new BufferedOutputStream(
                    new OutputStream() {
                        @Override
                        public void write(int b) throws IOException {
                            raw.write(b);
                            written++;
                        }

                        @Override
                        public void write(byte[] b, int off, int len) throws IOException {
                            raw.write(b, off, len);
                            written += len;
                            writeBackEarly();
                        }

                        @Override
                        public void close() {
                            // Only commit() or abort() end the file.
                        }
                    },
                    256 * 1024);
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
        public long bytesWritten() {
            return written;
        }

        /**
         * Starts writing the archive back to disk while it is still being written: every {@value #WRITE_BACK_EVERY}
         * bytes an fdatasync runs on another thread (one at a time; the writer never waits for it). Without it the
         * kernel, with gigabytes of page cache, writes nothing until the final {@link #sync()}, which then waited
         * 1.7 s for a 358 MB archive the disk could have taken in while it was being compressed.
         */
        private void writeBackEarly() {
            if (written - writeBackMark < WRITE_BACK_EVERY || !writingBack.isDone()) {
                return;
            }
            writeBackMark = written;
            writingBack = CompletableFuture.runAsync(
                    () -> {
                        try {
                            channel.force(false);
                        } catch (java.nio.channels.ClosedChannelException closed) {
                            // Committed or aborted meanwhile: the final sync or the abort has the last word.
                        } catch (IOException e) {
                            // An fsync error is reported once per file: this one must fail the final sync().
                            writeBackFailure = e;
                        }
                    },
                    WRITE_BACK);
        }

        @Override
        public void sync() throws IOException {
            CompletableFuture<Void> inFlight;
            synchronized (this) {
                checkWritable();
                out.flush();
                inFlight = writingBack;
            }
            inFlight.join();
            // Outside the lock: readBack() may run meanwhile; the channel itself is thread-safe.
            channel.force(true);
            checkWriteBack();
        }

        private void checkWriteBack() throws IOException {
            if (writeBackFailure != null) {
                throw new IOException(
                        "writing archive " + key + " back to disk failed: " + writeBackFailure.getMessage(),
                        writeBackFailure);
            }
        }

        @Override
        public synchronized java.util.Optional<InputStream> readBack() throws IOException {
            checkWritable();
            out.flush();
            return java.util.Optional.of(new ChannelRangeInputStream(temp, 0, written));
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
                out.flush();
                writingBack.join();
                channel.force(true);
                checkWriteBack();
                channel.close();
                publish();
                syncDirectory(target.getParent());
                committed = true;
            } catch (IOException | RuntimeException e) {
                abort();
                throw e;
            }
        }

        private void publish() throws IOException {
            boolean linked;
            try {
                // A hard link is atomic and fails if the key exists, so a racing writer is never overwritten.
                Files.createLink(target, temp);
                linked = true;
            } catch (FileAlreadyExistsException e) {
                throw e;
            } catch (UnsupportedOperationException | java.nio.file.FileSystemException e) {
                linked = false;
            }
            if (linked) {
                try {
                    Files.delete(temp);
                } catch (IOException e) {
                    // The archive is complete and visible; the leftover name is swept by cleanupStaleTemps().
                }
                return;
            }
            if (Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
                throw new FileAlreadyExistsException(target.toString(), null, "an archive with this key exists");
            }
            Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
        }

        @Override
        public synchronized void abort() {
            if (committed || aborted) {
                return;
            }
            aborted = true;
            try {
                channel.close();
            } catch (IOException ignored) {
                // The file is deleted next; an unflushed buffer no longer matters.
            }
            try {
                Files.deleteIfExists(temp);
            } catch (IOException ignored) {
                // cleanupStaleTemps() removes it later.
            }
        }
    }
}
