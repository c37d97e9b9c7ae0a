/**
 * Encryption at rest in the age format (https://age-encryption.org/v1), plain Java: X25519 recipients and
 * identities (parsed and used for key wrapping through jagged), the header with its MAC, and the STREAM payload
 * of 64 KiB ChaCha20-Poly1305 chunks, written by {@link dev.holdfast.crypto.AgeEncryptingOutputStream} and read
 * front to back by {@link dev.holdfast.crypto.AgeDecryptingInputStream} or by range by
 * {@link dev.holdfast.crypto.AgeSeekableReader}. The header, MAC and payload are this package's own code because
 * jagged has no seekable reader and keeps its header parser private; every piece is tested against the {@code age}
 * command line tool.
 */
package dev.holdfast.crypto;
