#!/bin/sh
# Restores one media root of a Holdfast archive by hand -- full or incremental -- with standard tools only:
# tar, zstd, gzip, jq and sha256sum (docs/incremental.md explains each step). Holdfast is not needed.
#
#   restore-media-by-hand.sh ARCHIVE.tar SOURCE OUT [DIR]
#
# ARCHIVE.tar  the backup to restore (plain tar; decrypt an .age archive first: age -d -i key.txt -o X.tar X.tar.age)
# SOURCE       the media root's name in the manifest (media[].source), e.g. uploads
# OUT          an empty or missing directory that receives the tree
# DIR          where the archives this one refers to are (incremental.references[].storage_key, or <backup_id>.tar
#              once decrypted); default: ARCHIVE.tar's directory
#
# Every file is checked against its SHA-256 in the manifest at the end; the script stops at the first error.
set -eu
archive=$1
source=$2
out=$3
dir=${4:-$(dirname "$archive")}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$out"

# The manifest of an archive as $2/manifest.json, checked against its own checksum first. An archive stores it
# compressed with the backup's codec (manifest.json.zst, manifest.json.gz) or as is (manifest.json: codec none, and
# archives written before manifests were compressed).
manifest_of() { # <archive file> <dir>
  m=$(tar -tf "$1" | grep -E '^manifest\.json(\.zst|\.gz)?$') && [ "$(printf '%s\n' "$m" | wc -l)" -eq 1 ] ||
    { echo "$1 has no single manifest; it is incomplete or not a Holdfast archive" >&2; exit 1; }
  tar -xf "$1" -C "$2" "$m" "$m.sha256"
  (cd "$2" && sha256sum -c --quiet "$m.sha256")
  case "$m" in
    *.zst) zstd -qd --rm -- "$2/$m" ;;
    *.gz) gzip -d -- "$2/$m" ;;
  esac
}

# 1. The manifest of the backup being restored.
manifest_of "$archive" "$work"
self=$(jq -r .backup_id "$work/manifest.json")
jq -e --arg s "$source" 'any(.media[]; .source == $s)' "$work/manifest.json" >/dev/null ||
  { echo "the archive has no media root '$source'" >&2; exit 1; }

# 2. Which archive holds each file: this one (no stored_in), or the backup named by stored_in.
#    Each archive's entries that this tree needs are extracted into $work/<backup id>/, and each archive's codecs
#    (entries[].codec) are collected, since an entry's name does not say whether it is compressed.
extract() { # <archive file> <backup id>
  mkdir -p "$work/$2"
  manifest_of "$1" "$work/$2"
  [ "$(jq -r .backup_id "$work/$2/manifest.json")" = "$2" ] ||
    { echo "$1 is not the archive of backup $2" >&2; exit 1; }
  jq -j --arg s "$source" --arg id "$2" --arg self "$self" \
    '.media[] | select(.source == $s) | .files[] | select((.stored_in // $self) == $id) | .entry + "\u0000"' \
    "$work/manifest.json" | sort -zu >"$work/$2.list"
  if [ -s "$work/$2.list" ]; then
    tar -xf "$1" -C "$work/$2" --null --verbatim-files-from -T "$work/$2.list"
  fi
  jq --arg id "$2" '{($id): ([.entries[] | {(.name): .codec}] | add // {})}' "$work/$2/manifest.json" \
    >"$work/$2.codecs.json"
  # Packs (entries of kind media-pack: a tar of many small files, compressed as one stream) are unpacked into
  # <entry>.d/; a packed file (one with "member") is then <entry>.d/<member>.
  jq -r --arg d "$work/$2" '.entries[] | select(.kind == "media-pack") | ($d + "/" + .name) as $p |
    (if .codec == "zstd" then "zstd -qdc --" elif .codec == "gzip" then "gzip -dc --" else "cat --" end) as $cat |
    "if [ -f \($p | @sh) ]; then mkdir -p -- \(($p + ".d") | @sh) && \($cat) \($p | @sh) |" +
    " tar -xf - -C \(($p + ".d") | @sh) && chmod -R u+rwX -- \(($p + ".d") | @sh); fi"' \
    "$work/$2/manifest.json" | sh -e
}
extract "$archive" "$self"
jq -r '(.incremental.references // [])[] | [.backup_id, .storage_key, (.archive_sha256 // "")] | @tsv' \
  "$work/manifest.json" | while IFS="$(printf '\t')" read -r id key sha; do
  file="$dir/$key"
  if [ -f "$file" ] && [ -n "$sha" ]; then
    echo "$sha  $file" | sha256sum -c --quiet # the very archive the backup refers to
  elif [ -f "$dir/$id.tar" ]; then
    file="$dir/$id.tar" # decrypted from $key; its manifest checksum and every file's SHA-256 are still checked
  else
    echo "backup $self needs the archive of backup $id ($key) in $dir" >&2
    exit 1
  fi
  extract "$file" "$id"
done
jq -s add "$work"/*.codecs.json >"$work/codecs.json"

# 3. Directories, then files (decompressed or taken from their unpacked pack, mode and mtime), then symbolic links; directory modes and mtimes last,
#    deepest first, since creating their contents changed them.
jq -r --arg s "$source" --arg self "$self" --arg w "$work" --arg o "$out" --slurpfile c "$work/codecs.json" '
  .media[] | select(.source == $s) |
  (.directories[] | "mkdir -p -- \(($o + "/" + .path) | @sh)"),
  (.files[] |
    ((.stored_in // $self) as $a | $c[0][$a][.entry]) as $codec |
    ($w + "/" + (.stored_in // $self) + "/" + .entry + (if .member then ".d/" + .member else "" end)) as $from |
    ($o + "/" + .path) as $to |
    (if .member then "cat --" elif $codec == "zstd" then "zstd -qdc --" elif $codec == "gzip" then "gzip -dc --"
     else "cat --" end) as $cat |
    "mkdir -p -- \($to | sub("/[^/]*$"; "") | @sh) && \($cat) \($from | @sh) > \($to | @sh)" +
    " && chmod \(.mode) \($to | @sh) && touch -m -d \(.mtime) \($to | @sh)"),
  (.symlinks[] | ($o + "/" + .path) as $to |
    "mkdir -p -- \($to | sub("/[^/]*$"; "") | @sh) && ln -s -- \(.target | @sh) \($to | @sh)" +
    " && touch -h -m -d \(.mtime) \($to | @sh)"),
  (.directories | sort_by(.path | length) | reverse | .[] | ($o + "/" + .path) as $to |
    "chmod \(.mode) \($to | @sh) && touch -m -d \(.mtime) \($to | @sh)")
' "$work/manifest.json" | sh -e

# 4. Every file against its SHA-256.
jq -r --arg s "$source" --arg o "$out" '.media[] | select(.source == $s) | .files[] | "\(.sha256)  \($o)/\(.path)"' \
  "$work/manifest.json" | sha256sum -c --quiet
echo "restored media root '$source' of backup $self into $out"
