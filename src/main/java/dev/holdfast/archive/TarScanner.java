package dev.holdfast.archive;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A strict reader of the tar subset the writer produces (ustar headers, pax {@code x} headers, regular
 * files): every header checksum, padding byte and end-of-archive block is checked, so a changed byte
 * anywhere in the tar structure is noticed, and after a damaged header it resynchronises on the next valid one.
 */
final class TarScanner {
    static final int BLOCK = 512;
    private static final int MAX_PAX = 1 << 20;

    /** One regular-file entry as found in the tar. */
    record Header(String name, long size, long headerOffset, long dataOffset) {}

    private final InputStream in;
    private final boolean checkPadding;
    private final List<Problem> problems = new ArrayList<>();
    private long position;
    private long remaining;
    private long padding;
    private Header current;
    private boolean resyncing;
    private boolean ended;

    /**
     * @param in the archive from its first byte
     * @param checkPadding read and check padding and trailing blocks (verification) instead of skipping
     *     them (building an index)
     */
    TarScanner(InputStream in, boolean checkPadding) {
        this.in = in;
        this.checkPadding = checkPadding;
    }

    /** A structural problem that did not stop the scan. */
    record Problem(String entry, long offset, String detail) {}

    /** A damaged header; {@code offset} is where it starts. */
    static final class HeaderException extends CorruptArchiveException {
        final long offset;

        HeaderException(long offset, String message) {
            super(message);
            this.offset = offset;
        }
    }

    /** Structural problems found that did not stop the scan (non-zero padding, damaged end marker). */
    List<Problem> problems() {
        return problems;
    }

    /** Current byte offset in the archive. */
    long position() {
        return position;
    }

    /**
     * The next entry, or null at the end of the archive. Throws {@link CorruptArchiveException} for a
     * damaged header; calling again then resynchronises on the next valid header.
     */
    Header next() throws IOException {
        if (ended) {
            return null;
        }
        finishCurrent();
        byte[] block = new byte[BLOCK];
        while (true) {
            long headerOffset = position;
            if (!readBlock(block)) {
                if (resyncing) {
                    ended = true;
                    return null;
                }
                throw new CorruptArchiveException(
                        "archive truncated at offset " + headerOffset + ": no end-of-archive marker");
            }
            if (isZero(block)) {
                if (resyncing) {
                    continue;
                }
                endOfArchive(headerOffset);
                return null;
            }
            try {
                Header h = parse(block, headerOffset);
                resyncing = false;
                current = h;
                remaining = h.size();
                padding = (BLOCK - h.size() % BLOCK) % BLOCK;
                return h;
            } catch (CorruptArchiveException e) {
                if (resyncing) {
                    continue;
                }
                resyncing = true;
                throw new HeaderException(headerOffset, e.getMessage());
            }
        }
    }

    /** The current entry's data; read it or not, the next {@link #next()} moves past it. */
    InputStream data() {
        return new InputStream() {
            @Override
            public int read() throws IOException {
                byte[] one = new byte[1];
                return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                if (remaining == 0) {
                    return -1;
                }
                int n = in.read(b, off, (int) Math.min(len, remaining));
                if (n < 0) {
                    throw new CorruptArchiveException("archive truncated inside entry '" + current.name() + "'");
                }
                remaining -= n;
                position += n;
                return n;
            }
        };
    }

    private void finishCurrent() throws IOException {
        if (current == null) {
            return;
        }
        skip(remaining);
        remaining = 0;
        if (checkPadding && padding > 0) {
            byte[] pad = new byte[(int) padding];
            readFully(pad, "padding of entry '" + current.name() + "'");
            if (!isZero(pad)) {
                problems.add(new Problem(
                        current.name(),
                        position - padding,
                        "non-zero padding after the entry's data at offset " + (position - padding)));
            }
        } else {
            skip(padding);
        }
        padding = 0;
        current = null;
    }

    private void endOfArchive(long offset) throws IOException {
        ended = true;
        if (!checkPadding) {
            return;
        }
        byte[] block = new byte[BLOCK];
        if (!readBlock(block) || !isZero(block)) {
            problems.add(new Problem(
                    null,
                    offset,
                    "end-of-archive marker at offset " + offset + " is damaged (second zero block missing)"));
        }
        // Other tools pad to a larger record size; anything there must still be zeros.
        int n;
        byte[] buf = new byte[8192];
        while ((n = in.read(buf)) > 0) {
            for (int i = 0; i < n; i++) {
                if (buf[i] != 0) {
                    problems.add(new Problem(
                            null,
                            position + i,
                            "non-zero data after the end-of-archive marker at offset " + (position + i)));
                    position += n;
                    drainRest();
                    return;
                }
            }
            position += n;
        }
    }

    private void drainRest() throws IOException {
        position += Digests.drain(in);
    }

    private Header parse(byte[] block, long headerOffset) throws IOException {
        checkHeader(block, headerOffset);
        char type = (char) block[156];
        Map<String, String> pax = Map.of();
        if (type == 'x') {
            long paxSize = octal(block, 124, 12, headerOffset, "size");
            if (paxSize > MAX_PAX) {
                throw new CorruptArchiveException("pax header at offset " + headerOffset + " is implausibly large");
            }
            byte[] data = new byte[(int) paxSize];
            readFully(data, "pax header at offset " + headerOffset);
            byte[] pad = new byte[(int) ((BLOCK - paxSize % BLOCK) % BLOCK)];
            readFully(pad, "pax header padding");
            if (checkPadding && !isZero(pad)) {
                problems.add(new Problem(
                        null, headerOffset, "non-zero padding after the pax header at offset " + headerOffset));
            }
            pax = parsePax(data, headerOffset);
            checkPaxKeys(pax, headerOffset);
            long realOffset = position;
            if (!readBlock(block)) {
                throw new CorruptArchiveException("archive truncated after the pax header at offset " + headerOffset);
            }
            checkHeader(block, realOffset);
            type = (char) block[156];
            if (type == 'x') {
                throw new CorruptArchiveException("two pax headers in a row at offset " + realOffset);
            }
        }
        if (type != '0' && type != 0) {
            throw new CorruptArchiveException("unsupported tar entry type '" + type + "' at offset " + headerOffset
                    + " (a Holdfast archive holds regular files only)");
        }
        String name = pax.get("path");
        if (name == null) {
            name = string(block, 0, 100);
            String prefix = string(block, 345, 155);
            if (!prefix.isEmpty()) {
                name = prefix + "/" + name;
            }
        }
        long size = pax.containsKey("size")
                ? parseLong(pax.get("size"), headerOffset)
                : octal(block, 124, 12, headerOffset, "size");
        return new Header(name, size, headerOffset, position);
    }

    private static void checkHeader(byte[] block, long offset) throws CorruptArchiveException {
        boolean ustar =
                block[257] == 'u' && block[258] == 's' && block[259] == 't' && block[260] == 'a' && block[261] == 'r';
        if (!ustar) {
            throw new CorruptArchiveException("no valid tar header at offset " + offset + " (bad magic)");
        }
        long stored = octal(block, 148, 8, offset, "checksum");
        long sum = 0;
        for (int i = 0; i < BLOCK; i++) {
            sum += (i >= 148 && i < 156) ? ' ' : (block[i] & 0xff);
        }
        if (sum != stored) {
            throw new CorruptArchiveException("tar header checksum mismatch at offset " + offset
                    + " (entry name field '"
                    + string(block, 0, 100).replaceAll("\\p{Cntrl}", "?") + "')");
        }
    }

    /** Octal digits, optionally space-padded in front, ended by NUL or space; nothing else is accepted. */
    private static long octal(byte[] b, int off, int len, long headerOffset, String field)
            throws CorruptArchiveException {
        int i = off;
        int end = off + len;
        while (i < end && b[i] == ' ') {
            i++;
        }
        long v = 0;
        int digits = 0;
        while (i < end && b[i] >= '0' && b[i] <= '7') {
            v = v * 8 + (b[i] - '0');
            i++;
            digits++;
        }
        for (; i < end; i++) {
            if (b[i] != 0 && b[i] != ' ') {
                throw new CorruptArchiveException(
                        "tar header at offset " + headerOffset + " has an invalid " + field + " field");
            }
        }
        if (digits == 0 && !field.equals("size")) {
            throw new CorruptArchiveException(
                    "tar header at offset " + headerOffset + " has an empty " + field + " field");
        }
        return v;
    }

    private static Map<String, String> parsePax(byte[] data, long offset) throws CorruptArchiveException {
        Map<String, String> map = new HashMap<>();
        int i = 0;
        while (i < data.length) {
            int sp = i;
            while (sp < data.length && data[sp] >= '0' && data[sp] <= '9') {
                sp++;
            }
            if (sp == i || sp >= data.length || data[sp] != ' ') {
                throw new CorruptArchiveException("malformed pax record at offset " + offset);
            }
            int len = Integer.parseInt(new String(data, i, sp - i, StandardCharsets.US_ASCII));
            int end = i + len;
            if (len <= sp - i + 2 || end > data.length || data[end - 1] != '\n') {
                throw new CorruptArchiveException("malformed pax record length at offset " + offset);
            }
            String record = new String(data, sp + 1, end - 1 - (sp + 1), StandardCharsets.UTF_8);
            int eq = record.indexOf('=');
            if (eq <= 0) {
                throw new CorruptArchiveException("malformed pax record at offset " + offset);
            }
            map.put(record.substring(0, eq), record.substring(eq + 1));
            i = end;
        }
        return map;
    }

    private void checkPaxKeys(Map<String, String> pax, long offset) {
        // Unknown keywords are ignored by tar, so a damaged keyword would otherwise go unnoticed.
        for (Map.Entry<String, String> e : pax.entrySet()) {
            boolean fine = switch (e.getKey()) {
                case "path" -> true;
                case "size" -> e.getValue().matches("[0-9]{1,19}");
                case "mtime" -> e.getValue().matches("-?[0-9]{1,19}(\\.[0-9]{1,9})?");
                default -> false;
            };
            if (!fine) {
                problems.add(new Problem(
                        pax.get("path"),
                        offset,
                        "unexpected pax record '" + e.getKey() + "' in the " + "pax header at offset " + offset));
            }
        }
    }

    private static long parseLong(String s, long offset) throws CorruptArchiveException {
        try {
            long v = Long.parseLong(s);
            if (v < 0) {
                throw new NumberFormatException();
            }
            return v;
        } catch (NumberFormatException e) {
            throw new CorruptArchiveException("invalid pax size '" + s + "' at offset " + offset);
        }
    }

    private static String string(byte[] b, int off, int len) {
        int end = off;
        while (end < off + len && b[end] != 0) {
            end++;
        }
        return new String(b, off, end - off, StandardCharsets.UTF_8);
    }

    private static boolean isZero(byte[] b) {
        for (byte x : b) {
            if (x != 0) {
                return false;
            }
        }
        return true;
    }

    private boolean readBlock(byte[] block) throws IOException {
        int n = in.readNBytes(block, 0, BLOCK);
        position += n;
        if (n == 0) {
            return false;
        }
        if (n < BLOCK) {
            throw new CorruptArchiveException("archive truncated at offset " + position + " (partial block)");
        }
        return true;
    }

    private void readFully(byte[] b, String what) throws IOException {
        int n = in.readNBytes(b, 0, b.length);
        position += n;
        if (n < b.length) {
            throw new CorruptArchiveException("archive truncated in " + what);
        }
    }

    private void skip(long n) throws IOException {
        long left = n;
        while (left > 0) {
            long s = in.skip(left);
            if (s <= 0) {
                if (in.read() < 0) {
                    throw new CorruptArchiveException("archive truncated at offset " + position);
                }
                s = 1;
            }
            left -= s;
            position += s;
        }
    }
}
