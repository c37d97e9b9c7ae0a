package dev.holdfast.media;

import dev.holdfast.archive.Manifest.MediaDirectory;
import dev.holdfast.archive.Manifest.MediaFile;
import dev.holdfast.archive.Manifest.MediaSymlink;

/**
 * One path a media restore writes: a file, a directory or a symbolic link of the archive's media section (a
 * directory implied by a file but not listed has no {@code dir}).
 */
record MediaItem(String path, Kind kind, MediaFile file, MediaDirectory dir, MediaSymlink link) {

    /** What the path is. */
    enum Kind {
        FILE,
        DIR,
        LINK
    }
}
