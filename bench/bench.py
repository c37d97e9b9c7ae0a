#!/usr/bin/env python3
"""Holdfast benchmark: Holdfast next to the standard tools, in one run, on data it creates itself.

Database part (issue 3): Holdfast database backup through the API (queued to SUCCEEDED, including
its re-read verification) vs `pg_dump -Fc`, `pg_dump -Fd -j <cores>` and the floor, plain
`COPY ... TO STDOUT` of every table into /dev/null (as parallel as Holdfast). Each contender runs
--runs times, in alternation; medians, sizes and ratios are printed and written to bench/out/.

Usage: bench/bench.py [--scale 10] [--runs 3] [--keep-data]
Needs: a built jar (./mvnw package -DskipTests), PostgreSQL on 127.0.0.1:5432 (trust), pgbench,
pg_dump, psql, openssl.
"""
import argparse, base64, json, os, shlex, shutil, signal, statistics, subprocess, sys, tempfile, time
import urllib.error
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "bench", "out")
PG = os.environ.get("BENCH_PG", "127.0.0.1:5432")
HOST, PORT = PG.split(":")
# HOLDFAST_BENCH_SUFFIX keeps two checkouts' benchmark databases (and service ports) apart.
SUFFIX = os.environ.get("HOLDFAST_BENCH_SUFFIX", "")
DB = "holdfast_bench" + SUFFIX
CATALOG = "holdfast_bench_catalog" + SUFFIX
CLEAN_DB = "holdfast_bench_clean" + SUFFIX
PGR_DB = "holdfast_bench_pgr" + SUFFIX
CORES = os.cpu_count() or 2


def sh(cmd, **kw):
    return subprocess.run(cmd, shell=isinstance(cmd, str), check=True, **kw)


def psql(db, sql):
    return subprocess.run(["psql", "-h", HOST, "-p", PORT, "-U", "postgres", "-d", db, "-v", "ON_ERROR_STOP=1",
                           "-qAt", "-c", sql], check=True, capture_output=True, text=True).stdout.strip()


def make_data(scale):
    print(f"creating {DB}: pgbench scale {scale} plus app-like tables", flush=True)
    psql("postgres", f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")
    psql("postgres", f"CREATE DATABASE {DB}")
    sh(["pgbench", "-h", HOST, "-p", PORT, "-U", "postgres", "-i", "-q", "-s", str(scale), "--foreign-keys", DB],
       capture_output=True)
    psql(DB, """
      CREATE TABLE app_user (id bigint PRIMARY KEY, email text NOT NULL, profile jsonb, created timestamptz);
      INSERT INTO app_user SELECT g, 'user' || g || '@example.com',
        jsonb_build_object('name', 'User ' || g, 'prefs', jsonb_build_object('theme', 'dark', 'n', g % 97),
                           'tags', jsonb_build_array('a' || g % 13, 'b' || g % 7)),
        now() - (g || ' minutes')::interval FROM generate_series(1, 400000) g;
      CREATE TABLE document (id bigint PRIMARY KEY, owner bigint NOT NULL REFERENCES app_user, title text,
        body text, thumb bytea);
      INSERT INTO document SELECT g, 1 + g % 400000, 'Document ' || g,
        repeat('Lorem ipsum dolor sit amet ' || g || E'\\n', 8), decode(md5(g::text) || md5((g * 7)::text), 'hex')
        FROM generate_series(1, 600000) g;
      CREATE TABLE comment (id bigint PRIMARY KEY, document bigint NOT NULL REFERENCES document,
        author bigint REFERENCES app_user, body text, meta jsonb);
      INSERT INTO comment SELECT g, 1 + g % 600000, 1 + g % 400000, 'Comment number ' || g || ' ' || md5(g::text),
        jsonb_build_object('likes', g % 50) FROM generate_series(1, 1200000) g;""")
    psql(DB, "VACUUM ANALYZE")
    size = int(psql(DB, "SELECT pg_database_size(current_database())"))
    print(f"  database size {size / 1e6:.0f} MB", flush=True)
    return size


def rs256_keypair(tmp):
    key = os.path.join(tmp, "key.pem")
    sh(["openssl", "genrsa", "-out", key, "2048"], capture_output=True)
    der = subprocess.run(["openssl", "rsa", "-in", key, "-pubout", "-outform", "DER"], check=True,
                         capture_output=True).stdout
    return key, base64.b64encode(der).decode()


def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def token(key):
    header = b64u(json.dumps({"alg": "RS256", "typ": "JWT"}).encode())
    now = int(time.time())
    payload = b64u(json.dumps({"iss": "holdfast-bench", "sub": "bench", "preferred_username": "bench",
                               "groups": ["backup-admin"], "iat": now, "exp": now + 7200}).encode())
    sig = subprocess.run(["openssl", "dgst", "-sha256", "-sign", key], input=f"{header}.{payload}".encode(),
                         check=True, capture_output=True).stdout
    return f"{header}.{payload}.{b64u(sig)}"


class Service:
    """The packaged service. `variant` ("" for the main one, "s3", "enc") gives each instance its own catalog
    database, storage directory, port and log, so that several run side by side for in-alternation comparisons."""

    def __init__(self, tmp, pubkey, jfr=False, extra_env=None, variant=""):
        self.variant = variant
        self.storage = os.path.join(tmp, "archives" + (f"-{variant}" if variant else ""))
        self.port = 18080 + (sum(map(ord, SUFFIX)) % 1000 if SUFFIX else 0) + {"": 0, "s3": 1, "enc": 2, "s3disk": 3, "s3trees": 4}[variant]
        catalog = CATALOG + (f"_{variant}" if variant else "")
        psql("postgres", f"DROP DATABASE IF EXISTS {catalog} WITH (FORCE)")
        psql("postgres", f"CREATE DATABASE {catalog}")
        env = dict(os.environ,
                   HOLDFAST_DB_URL=f"jdbc:postgresql://{PG}/{catalog}", HOLDFAST_DB_USER="postgres",
                   HOLDFAST_STORAGE_ROOT=self.storage, QUARKUS_HTTP_PORT=str(self.port),
                   QUARKUS_OIDC_PUBLIC_KEY=pubkey, QUARKUS_OIDC_TOKEN_ISSUER="holdfast-bench",
                   QUARKUS_LOG_CONSOLE_JSON_ENABLED="false",
                   # The dashboard's code-flow tenant needs a real OIDC server; the benchmark never opens /ui.
                   QUARKUS_OIDC_WEB_TENANT_ENABLED="false")
        env["HOLDFAST_DATABASES_BENCH_JDBC_URL"] = f"jdbc:postgresql://{PG}/{DB}"
        env["HOLDFAST_DATABASES_BENCH_USERNAME"] = "postgres"
        env["HOLDFAST_MEDIA_BENCH_PATH"] = os.path.join(tmp, "tree")
        for kind in MEDIA_TREES:  # the trees of part `trees`, made only when that part runs
            env[f"HOLDFAST_MEDIA_{kind.upper()}_PATH"] = os.path.join(tmp, f"tree-{kind}")
        env["HOLDFAST_MEDIA_INCR_PATH"] = os.path.join(tmp, "tree-incr")  # part `incr`
        # Restores write only into sources and configured targets: the clean database and a media directory.
        env["HOLDFAST_RESTORE_DATABASE_TARGETS"] = CLEAN_DB
        env["HOLDFAST_RESTORE_MEDIA_TARGETS"] = os.path.realpath(tmp)
        env.update(extra_env or {})
        self.log = open(os.path.join(OUT, f"service{'-' + variant if variant else ''}.log"), "w")
        jar = os.path.join(ROOT, "target", "quarkus-app", "quarkus-run.jar")
        # HOLDFAST_BENCH_JAVA: another JVM for the service (e.g. a newer one, as an extra data point).
        jfr_file = f"{OUT}/holdfast{'-' + variant if variant else ''}.jfr"
        jvm = [os.environ.get("HOLDFAST_BENCH_JAVA", "java")] + (
            [f"-XX:StartFlightRecording=filename={jfr_file},settings=profile"] if jfr else [])
        self.proc = subprocess.Popen(jvm + ["-jar", jar], env=env, stdout=self.log, stderr=subprocess.STDOUT)
        for _ in range(120):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{self.port}/q/health/ready", timeout=2)
                return
            except Exception:
                time.sleep(0.5)
        raise SystemExit(f"service did not become ready; see {self.log.name}")

    def call(self, method, path, tok, body=None):
        req = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}", method=method,
                                     data=None if body is None else json.dumps(body).encode(),
                                     headers={"Authorization": f"Bearer {tok}", "Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=30) as r:
            return json.loads(r.read() or b"null")

    def peak_rss_mb(self):
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM"):
                    return int(line.split()[1]) / 1024
        return float("nan")

    def cpu_seconds(self):
        return cpu_seconds(self.proc.pid)

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(30)


def cpu_seconds(pid):
    """(user, system) CPU seconds a process has used so far (/proc/<pid>/stat, in clock ticks)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    tick = os.sysconf("SC_CLK_TCK")
    return int(fields[11]) / tick, int(fields[12]) / tick


def holdfast_backup(svc, tok):
    t0 = time.monotonic()
    created = svc.call("POST", "/api/backups", tok, {"backup_type": "database", "databases": ["bench"]})
    bid = created["resource"]["id"]
    b, ended = await_status(svc, tok, f"/api/backups/{bid}")
    elapsed = ended - t0
    if b["status"] != "SUCCEEDED":
        raise SystemExit(f"backup failed: {b['error']}")
    svc.call("DELETE", f"/api/backups/{bid}", tok)
    return elapsed, b["size_bytes"]


def timed(cmd):
    t0 = time.monotonic()
    sh(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.monotonic() - t0


def pg_dump_fc(tmp):
    f = os.path.join(tmp, "dump.fc")
    t = timed(["pg_dump", "-h", HOST, "-p", PORT, "-U", "postgres", "-Fc", "-f", f, DB])
    size = os.path.getsize(f)
    os.remove(f)
    return t, size


def pg_dump_fd(tmp):
    d = os.path.join(tmp, "dump.fd")
    t = timed(["pg_dump", "-h", HOST, "-p", PORT, "-U", "postgres", "-Fd", "-j", str(CORES), "-f", d, DB])
    size = sum(os.path.getsize(os.path.join(d, x)) for x in os.listdir(d))
    shutil.rmtree(d)
    return t, size


def copy_floor(tables):
    from concurrent.futures import ThreadPoolExecutor

    def one(t):
        sh(["psql", "-h", HOST, "-p", PORT, "-U", "postgres", "-d", DB, "-qAt", "-c", f"COPY {t} TO STDOUT"],
           stdout=subprocess.DEVNULL)

    t0 = time.monotonic()
    with ThreadPoolExecutor(CORES) as pool:
        list(pool.map(one, tables))
    return time.monotonic() - t0, None


def make_tree(root, mb=250):
    """A media tree of about `mb` MB: a third random bytes (photos), the rest text, in nested directories."""
    import random
    rnd = random.Random(42)
    shutil.rmtree(root, ignore_errors=True)
    words = [("".join(rnd.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rnd.randint(2, 10))))
             for _ in range(5000)]
    total, target = 0, mb * 1_000_000
    i = 0
    while total < target:
        d = os.path.join(root, f"dir{i % 17}", f"sub{i % 5}")
        os.makedirs(d, exist_ok=True)
        if i % 3 == 0:
            data = rnd.randbytes(rnd.randint(500_000, 3_000_000))
            name = f"photo{i}.jpg"
        else:
            n = rnd.randint(20_000, 400_000)
            text = " ".join(rnd.choice(words) for _ in range(n // 6))
            data = text.encode()
            name = f"doc{i}.txt"
        with open(os.path.join(d, name), "wb") as f:
            f.write(data)
        total += len(data)
        i += 1
    return total, i


# The three media trees of issue 17: (name, files, smallest, largest bytes, share of incompressible files).
MEDIA_TREES = {
    "small": (20_000, 1_000, 64_000, 0.0),     # thumbnails, avatars, short documents
    "mixed": (3_000, 20_000, 400_000, 1 / 3),  # a third incompressible (photos), the rest text
    "large": (200, 2_000_000, 6_000_000, 1 / 3),
}


def make_sized_tree(root, files, lo, hi, random_share, seed=17):
    """A tree of `files` files of `lo`..`hi` bytes in nested directories (at most ~100 files per directory),
    `random_share` of them random bytes, the rest text sliced from one generated corpus (generating text per
    file would take minutes for 20,000 files). Returns (bytes, files)."""
    import random
    rnd = random.Random(seed)
    shutil.rmtree(root, ignore_errors=True)
    corpus = text_corpus(rnd, hi)
    total = 0
    for i in range(files):
        d = os.path.join(root, f"d{i % 20:02d}", f"s{(i // 20) % 10}")
        os.makedirs(d, exist_ok=True)
        n = rnd.randint(lo, hi)
        if rnd.random() < random_share:
            data, name = rnd.randbytes(n), f"img{i}.jpg"
        else:
            start = rnd.randrange(0, len(corpus) - n)
            data, name = corpus[start:start + n], f"doc{i}.txt"
        with open(os.path.join(d, name), "wb") as f:
            f.write(data)
        total += n
    return total, files


def text_corpus(rnd, hi):
    """The text that make_sized_tree slices its text files from: the first thing it draws from `rnd`."""
    words = [("".join(rnd.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rnd.randint(2, 10))))
             for _ in range(5000)]
    return " ".join(rnd.choice(words) for _ in range((hi + 1_000_000) // 6)).encode()


def await_status(svc, tok, path):
    """Waits for the end of the job behind `path` on its SSE progress stream (no polling load on the
    service, no polling delay in the figure: the client learns of the end as a shell learns of tar's exit),
    then returns the final record. Returns (record, seconds at which the end event arrived)."""
    req = urllib.request.Request(f"http://127.0.0.1:{svc.port}{path}/progress",
                                 headers={"Authorization": f"Bearer {tok}", "Accept": "text/event-stream"})
    ended = None
    with urllib.request.urlopen(req, timeout=3600) as stream:
        for raw in stream:
            if raw.decode().replace(" ", "").strip() == "event:end":
                ended = time.monotonic()
                break
    r = svc.call("GET", path, tok)
    if r["status"] in ("QUEUED", "RUNNING"):
        raise SystemExit(f"{path}: the stream ended but the status is {r['status']}")
    return r, ended


def holdfast_media_backup(svc, tok, source="bench"):
    t0 = time.monotonic()
    created = svc.call("POST", "/api/backups", tok, {"backup_type": "media", "media": [source]})
    b, ended = await_status(svc, tok, f"/api/backups/{created['resource']['id']}")
    elapsed = ended - t0
    if b["status"] != "SUCCEEDED":
        raise SystemExit(f"media backup failed: {b['error']}")
    return elapsed, b["size_bytes"], b["id"]


def holdfast_media_backup_as(svc, tok, source, body):
    """A media backup of `source` with extra request fields (e.g. incremental); returns (seconds, record)."""
    t0 = time.monotonic()
    created = svc.call("POST", "/api/backups", tok, {"backup_type": "media", "media": [source], **body})
    b, ended = await_status(svc, tok, f"/api/backups/{created['resource']['id']}")
    if b["status"] != "SUCCEEDED":
        raise SystemExit(f"media backup failed: {b['error']}")
    return ended - t0, b


def holdfast_restore(svc, tok, backup_id, body):
    t0 = time.monotonic()
    r = svc.call("POST", f"/api/backups/{backup_id}/restore", tok, body)
    done, ended = await_status(svc, tok, f"/api/restores/{r['resource']['id']}")
    elapsed = ended - t0
    if done["status"] != "SUCCEEDED":
        raise SystemExit(f"restore failed: {done['error']}")
    return elapsed


def replace_floor_script(svc, backup_id, tmp):
    """A psql script doing a replace restore's SQL (drop keys, truncate, COPY FREEZE, rebuild keys and
    foreign keys, one transaction) from the backup's entries, decompressed to files outside the timing."""
    import tarfile
    archive = next(os.path.join(d, f) for d, _, fs in os.walk(svc.storage) for f in fs
                   if backup_id in f and f.endswith(".tar"))
    out = os.path.join(tmp, "floor")
    os.makedirs(out, exist_ok=True)
    with tarfile.open(archive) as tar:
        name = next(n for n in tar.getnames() if n in ("manifest.json", "manifest.json.zst", "manifest.json.gz"))
        raw = tar.extractfile(name).read()
        manifest = json.loads(raw if name == "manifest.json" else subprocess.run(
            ["zstd" if name.endswith(".zst") else "gzip", "-dc"], input=raw, capture_output=True, check=True).stdout)
        section = manifest["databases"][0]
        lines = ["BEGIN;", "SET LOCAL maintenance_work_mem = '256MB';"]
        cons = psql(DB, "SELECT conrelid::regclass::text || '|' || quote_ident(conname) || '|' || contype::text || '|' || "
                        "pg_get_constraintdef(oid) FROM pg_constraint WHERE contype IN ('f', 'p') AND "
                        "connamespace = 'public'::regnamespace ORDER BY contype, conname").splitlines()
        cons = [c.split("|", 3) for c in cons]
        for rel, name, _, _ in cons:  # foreign keys first, then primary keys
            lines.append(f"ALTER TABLE {rel} DROP CONSTRAINT {name};")
        lines.append("TRUNCATE " + ", ".join(f"{t['schema']}.{t['name']}" for t in section["tables"]) + ";")
        for t in section["tables"]:
            raw = os.path.join(out, t["name"] + ".copy")
            with tar.extractfile(t["entry"]) as src, open(raw + ".zst", "wb") as dst:
                shutil.copyfileobj(src, dst)
            sh(["zstd", "-qdf", "--rm", raw + ".zst", "-o", raw])
            fmt = t.get("copy_format") or section.get("copy_format") or "text"
            cols = ", ".join('"' + c + '"' for c in t["columns"])
            lines.append(f"\\copy {t['schema']}.{t['name']} ({cols}) FROM '{raw}' WITH (FORMAT {fmt}, FREEZE)")
        for rel, name, _, definition in reversed(cons):  # primary keys, then foreign keys
            lines.append(f"ALTER TABLE {rel} ADD CONSTRAINT {name} {definition};")
        lines.append("COMMIT;")
    script = os.path.join(out, "replace.sql")
    with open(script, "w") as f:
        f.write("\n".join(lines) + "\n")
    return script


def report(title, results, sizes, base, extra, name):
    med = {k: statistics.median(v) for k, v in results.items()}
    lines = [title, "", f"{'contender':<34}{'median s':>10}{'size MB':>10}   runs"]
    for k, v in results.items():
        size = sizes.get(k)
        lines.append(f"{k:<34}{med[k]:>10.2f}{(size / 1e6 if size else float('nan')):>10.1f}   "
                     + ", ".join(f"{x:.2f}" for x in v))
    lines.append("")
    for h, others in base:
        lines.append(f"{h} / " + "; ".join(f"{o}: {med[h] / med[o]:.2f}" for o in others))
    lines += extra
    text = "\n".join(lines)
    print("\n" + text, flush=True)
    with open(os.path.join(OUT, name), "w") as f:
        f.write(text + "\n")


TREES_WARMUP = int(os.environ.get("HOLDFAST_BENCH_TREES_WARMUP", "3"))


def media_tree_part(svc, tok, tmp, kind, tree_bytes, files, runs, stamp, store=""):
    """Media backup and restore of one generated tree through the API against tar --zstd, in alternation, with
    files/s and MB/s of every contender and the service's peak RSS (VmHWM: the peak since the service started,
    so the figure of a tree includes the trees measured before it)."""
    tree = os.path.join(tmp, f"tree-{kind}")
    out_zst = os.path.join(tmp, f"{kind}.tar.zst")
    restored = os.path.join(os.path.realpath(tmp), f"restored-{kind}")  # media_target: a real path
    results = {"holdfast media backup": [], "tar --zstd -cf": [], "holdfast media restore": [], "tar --zstd -xf": []}
    sizes, last = {}, {}

    def hf_backup():
        t, size, bid = holdfast_media_backup(svc, tok, kind)
        if "id" in last:
            svc.call("DELETE", f"/api/backups/{last['id']}", tok)
        last["id"] = bid
        sizes["holdfast media backup"] = size
        return t

    def tar_zstd():
        t = timed(["tar", "--zstd", "-cf", out_zst, "-C", tree, "."])
        sizes["tar --zstd -cf"] = os.path.getsize(out_zst)
        return t

    def hf_restore():
        shutil.rmtree(restored, ignore_errors=True)
        t = holdfast_restore(svc, tok, last["id"], {"media_target": restored, "create_pre_backup": False})
        # Holdfast's restored tree, compared before the tar contenders reuse the directory.
        last["diff"] = subprocess.run(["diff", "-rq", tree, restored], capture_output=True, text=True).returncode
        return t

    def untar():
        shutil.rmtree(restored, ignore_errors=True)
        os.makedirs(restored)
        return timed(["tar", "--zstd", "-xf", out_zst, "-C", restored])

    def untar_durable():
        # Like for like with Holdfast, which does not swap a restore in before it is on disk: tar, then one syncfs.
        shutil.rmtree(restored, ignore_errors=True)
        os.makedirs(restored)
        t0 = time.monotonic()
        sh(["tar", "--zstd", "-xf", out_zst, "-C", restored])
        sh(["sync", "-f", restored])
        return time.monotonic() - t0

    results["tar --zstd -xf && sync -f"] = []
    # Warm-up, not counted, as in part `incr`: the service is warm when the JIT is done with the path measured. With
    # one media backup as the only warm-up, the first measured restore of a tree compiled its path while being timed
    # (C2 threads took 0.3-0.4 CPU-s of a 2.5 s restore of the mixed tree on two cores, bench/README.md).
    for _ in range(TREES_WARMUP):
        hf_backup()
        hf_restore()
    print(f"  {kind}: {TREES_WARMUP} warm-up cycles (backup + restore) done, JIT compiles so far: "
          f"{jit_compiles(svc.proc.pid)}", flush=True)
    for i in range(runs):
        for name, fn in (("holdfast media backup", hf_backup), ("tar --zstd -cf", tar_zstd),
                         ("holdfast media restore", hf_restore), ("tar --zstd -xf", untar),
                         ("tar --zstd -xf && sync -f", untar_durable)):
            # Every contender starts with nothing dirty in the page cache: what the one before wrote and the
            # kernel had not yet written back must not land on the next one's clock (Holdfast's syncs wait for it).
            shutil.rmtree(restored, ignore_errors=True)
            sh(["sync"])
            t = fn()
            results[name].append(t)
            print(f"  {kind} run {i + 1} {name:<26} {t:7.2f} s", flush=True)
    med = {k: statistics.median(v) for k, v in results.items()}
    rates = [f"{k}: {files / med[k]:,.0f} files/s, {tree_bytes / 1e6 / med[k]:,.0f} MB/s" for k in results]
    report(f"Media tree '{kind}'{' on ' + store if store else ''}, {stamp}, {CORES} cores; {files} files, "
           f"{tree_bytes / 1e6:.0f} MB "
           f"({MEDIA_TREES[kind][1] / 1000:.0f}-{MEDIA_TREES[kind][2] / 1000:.0f} KB, "
           f"{MEDIA_TREES[kind][3]:.0%} incompressible); {runs} runs each in alternation after {TREES_WARMUP} warm-up "
           f"cycles", results, sizes,
           [("holdfast media backup", ["tar --zstd -cf"]),
            ("holdfast media restore", ["tar --zstd -xf", "tar --zstd -xf && sync -f"])],
           rates + [f"Holdfast's restored tree equals the source (diff -r): {'yes' if last['diff'] == 0 else 'NO'}",
                    f"service peak RSS so far: {svc.peak_rss_mb():.0f} MB"],
           f"media-{kind}{'-' + store.split()[0] if store else ''}.txt")
    svc.call("DELETE", f"/api/backups/{last['id']}", tok)
    shutil.rmtree(restored, ignore_errors=True)
    os.remove(out_zst)


# Part `incr` (issue 17): about 1 GB in 20,000 files, 1 % of them changed between a full and an incremental backup.
INCR_TREE = (20_000, 1_000, 100_000, 1 / 3)


def make_incr_tree(root):
    """The tree of part `incr`: make_sized_tree's files plus empty directories and symbolic links."""
    total, files = make_sized_tree(root, *INCR_TREE, seed=23)
    for i in range(5):
        os.makedirs(os.path.join(root, f"empty{i}", "inner"), exist_ok=True)
        os.symlink("s0", os.path.join(root, f"d{i:02d}", f"link{i}"))  # to a sibling directory
    return total, files


INCR_CHANGES = os.environ.get("HOLDFAST_BENCH_INCR_CHANGES", "redraw")
# Full-and-incremental cycles run before the measured ones (see incr_part).
INCR_WARMUP = int(os.environ.get("HOLDFAST_BENCH_INCR_WARMUP", "10"))


def jit_compiles(pid):
    """Methods the JIT of process `pid` has compiled so far (jstat -compiler), or None when jstat is not there: how
    warm the service is, reported beside the times it explains."""
    try:
        out = subprocess.run(["jstat", "-compiler", str(pid)], capture_output=True, text=True, timeout=30).stdout
        return int(out.split("\n")[1].split()[0])
    except (OSError, ValueError, IndexError, subprocess.TimeoutExpired):
        return None


def mutate_incr_tree(root, seed=5, changes=None):
    """Changes 1 % of the files (200 rewritten with about their size), adds 20 and deletes 20; returns the bytes
    written. `changes` (default $HOLDFAST_BENCH_INCR_CHANGES, else "redraw"): "redraw" gives each changed or added
    file new content drawn as make_sized_tree draws a file of its kind (a new slice of the tree's text for a text
    file, new random bytes for an "image"), so the changes compress as the tree does; "random" makes every change
    random bytes, the worst case for an incremental backup's size (the changed bytes do not compress at all, while
    two thirds of the tree does)."""
    import random
    changes = changes or INCR_CHANGES
    rnd = random.Random(seed)
    corpus = text_corpus(random.Random(23), INCR_TREE[2])  # make_incr_tree's seed: the tree's own text

    def content(path, n):
        if changes == "random" or not path.endswith(".txt"):
            return rnd.randbytes(n)
        start = rnd.randrange(0, len(corpus) - n)
        return corpus[start:start + n]
    paths = sorted(os.path.join(dp, f) for dp, _, fs in os.walk(root) for f in fs
                   if not os.path.islink(os.path.join(dp, f)))
    picked = rnd.sample(paths, len(paths) // 100 + 40)
    written = 0
    for p in picked[:len(paths) // 100]:
        data = content(p, max(1, os.path.getsize(p) + rnd.randint(-500, 500)))
        with open(p, "wb") as f:
            f.write(data)
        written += len(data)
    for p in picked[len(paths) // 100:len(paths) // 100 + 20]:
        os.remove(p)
    for i in range(20):
        name = f"new{i}.txt" if i % 3 else f"new{i}.jpg"  # a third "images", as in the tree
        data = content(name, rnd.randint(INCR_TREE[1], INCR_TREE[2]))
        with open(os.path.join(root, f"d{i % 20:02d}", name), "wb") as f:
            f.write(data)
        written += len(data)
    return written


def tree_state(root):
    """Every path below `root` with its type, permission bits, mtime (whole seconds), size and content digest or link
    target: what a restore must reproduce exactly."""
    import hashlib
    out = {}
    for dp, ds, fs in os.walk(root):
        for name in ds + fs:
            p = os.path.join(dp, name)
            st = os.lstat(p)
            rel = os.path.relpath(p, root)
            if os.path.islink(p):
                out[rel] = ("link", os.readlink(p))
            elif os.path.isdir(p):
                out[rel] = ("dir", st.st_mode & 0o7777, int(st.st_mtime))
            else:
                with open(p, "rb") as f:
                    out[rel] = ("file", st.st_mode & 0o7777, int(st.st_mtime), st.st_size,
                                hashlib.sha256(f.read()).hexdigest())
    return out


def incr_part(svc, tok, tmp, runs, stamp):
    """Full, then incremental Holdfast media backups of the `incr` tree with 1 % changed in between, against GNU tar's
    level-0 and level-1 `--listed-incremental` archives, in alternation; the incremental backup is restored through
    the API and compared with the changed tree (contents, modes, mtimes, links, empty directories)."""
    tree = os.path.join(tmp, "tree-incr")
    restored = os.path.join(os.path.realpath(tmp), "restored-incr")
    l0, l1 = os.path.join(tmp, "l0.tar.zst"), os.path.join(tmp, "l1.tar.zst")
    snap0, snap1 = os.path.join(tmp, "snap0"), os.path.join(tmp, "snap1")
    results = {k: [] for k in ("holdfast full backup", "holdfast incremental backup", "tar level 0",
                               "tar level 1", "holdfast restore of the incremental",
                               "tar -xf level 0 + level 1", "tar -xf level 0 + level 1 && sync -f")}
    sizes, facts, compiles = {}, {}, []
    for i in range(runs):
        t0 = time.monotonic()
        tree_bytes, files = make_incr_tree(tree)
        print(f"  incr run {i + 1}: tree of {files} files, {tree_bytes / 1e6:.0f} MB made in "
              f"{time.monotonic() - t0:.0f} s", flush=True)
        if i == 0:
            # Warm-up, not counted: the service is warm when the JIT is done with the path being measured. An
            # incremental backup's own code (the pass over unchanged files, the index, the bases) runs once per
            # backup, not once per file, so it takes many backups to compile. With one full and three incremental
            # warm-up backups, -XX:+PrintCompilation showed 100-180 methods compiled (and 10-20 deoptimized) during
            # each of the first measured incremental backups, falling to 30-60 after ten full-and-incremental
            # cycles, and the measured times fell with them (bench/README.md, 2026-12-05). Each cycle is what a
            # measured run does (a full backup, 1 % changed, an incremental backup on it), on the same tree.
            for k in range(INCR_WARMUP):
                _, wfull = holdfast_media_backup_as(svc, tok, "incr", {})
                mutate_incr_tree(tree, seed=1000 + k)
                _, winc = holdfast_media_backup_as(svc, tok, "incr", {"incremental": True})
                for b in (winc, wfull):  # newest first: a holder goes after its dependents
                    svc.call("DELETE", f"/api/backups/{b['id']}", tok)
            print(f"  incr: {INCR_WARMUP} warm-up cycles (full + incremental) done", flush=True)
            tree_bytes, files = make_incr_tree(tree)
        sh(["sync"])
        t, full = holdfast_media_backup_as(svc, tok, "incr", {})
        results["holdfast full backup"].append(t)
        sizes["holdfast full backup"] = full["size_bytes"]
        for f in (snap0, snap1):
            if os.path.exists(f):
                os.remove(f)
        sh(["sync"])
        results["tar level 0"].append(timed(["tar", "--zstd", f"--listed-incremental={snap0}", "-cf", l0,
                                             "-C", tree, "."]))
        sizes["tar level 0"] = os.path.getsize(l0)
        changed = mutate_incr_tree(tree, seed=5 + i)
        expected = tree_state(tree)
        sh(["sync"])
        c0 = jit_compiles(svc.proc.pid)
        t, inc = holdfast_media_backup_as(svc, tok, "incr", {"incremental": True})
        c1 = jit_compiles(svc.proc.pid)
        if c0 is not None and c1 is not None:
            compiles.append(c1 - c0)
        if inc["chain_length"] != 1 or inc["referenced_backups"] != [full["id"]]:
            raise SystemExit(f"the incremental backup is not one: {inc}")
        results["holdfast incremental backup"].append(t)
        sizes["holdfast incremental backup"] = inc["size_bytes"]
        facts["referenced"] = inc["summary"]["media"][0]["referenced_files"]
        facts["files"] = inc["summary"]["media"][0]["files"]
        facts["changed MB"] = changed / 1e6
        shutil.copy(snap0, snap1)
        sh(["sync"])
        results["tar level 1"].append(timed(["tar", "--zstd", f"--listed-incremental={snap1}", "-cf", l1,
                                             "-C", tree, "."]))
        sizes["tar level 1"] = os.path.getsize(l1)
        shutil.rmtree(restored, ignore_errors=True)
        sh(["sync"])
        results["holdfast restore of the incremental"].append(
            holdfast_restore(svc, tok, inc["id"], {"media_target": restored, "create_pre_backup": False}))
        got = tree_state(restored)
        if got != expected:
            bad = sorted(k for k in set(got) | set(expected) if got.get(k) != expected.get(k))
            raise SystemExit(f"the restored incremental backup differs from the tree in {len(bad)} paths, e.g. "
                             + "; ".join(f"{k}: source {expected.get(k)}, restored {got.get(k)}" for k in bad[:5]))
        facts["identical"] = True
        shutil.rmtree(restored, ignore_errors=True)
        os.makedirs(restored)
        sh(["sync"])
        t0 = time.monotonic()
        for level in (l0, l1):
            sh(["tar", "--zstd", "--listed-incremental=/dev/null", "-xf", level, "-C", restored])
        results["tar -xf level 0 + level 1"].append(time.monotonic() - t0)
        # Like for like on durability (Holdfast's restore is on disk before it is swapped in): the same, then syncfs.
        shutil.rmtree(restored, ignore_errors=True)
        os.makedirs(restored)
        sh(["sync"])
        t0 = time.monotonic()
        for level in (l0, l1):
            sh(["tar", "--zstd", "--listed-incremental=/dev/null", "-xf", level, "-C", restored])
        sh(["sync", "-f", restored])
        results["tar -xf level 0 + level 1 && sync -f"].append(time.monotonic() - t0)
        svc.call("DELETE", f"/api/backups/{inc['id']}", tok)  # newest first: the full one holds its contents
        svc.call("DELETE", f"/api/backups/{full['id']}", tok)
        for k in results:
            print(f"  incr run {i + 1} {k:<38} {results[k][-1]:7.2f} s", flush=True)
    med = {k: statistics.median(v) for k, v in results.items()}
    report(f"Incremental media backup, {stamp}, {CORES} cores; {INCR_TREE[0]} files, about "
           f"{tree_bytes / 1e6:.0f} MB ({INCR_TREE[1] / 1000:.0f}-{INCR_TREE[2] / 1000:.0f} KB, "
           f"{INCR_TREE[3]:.0%} incompressible); 1 % changed ({facts['changed MB']:.1f} MB, "
           f"{'redrawn as the tree is drawn' if INCR_CHANGES == 'redraw' else 'all random bytes'}), 20 added, 20 "
           f"deleted between the two; {runs} runs each in alternation", results, sizes,
           [("holdfast incremental backup", ["holdfast full backup"]), ("tar level 1", ["tar level 0"]),
            ("holdfast restore of the incremental", ["tar -xf level 0 + level 1",
                                                     "tar -xf level 0 + level 1 && sync -f"])],
           [f"incremental / full, bytes: holdfast {sizes['holdfast incremental backup'] / sizes['holdfast full backup']:.3f}"
            f" (target <= 0.03); tar {sizes['tar level 1'] / sizes['tar level 0']:.3f}",
            f"incremental / full, time: holdfast "
            f"{med['holdfast incremental backup'] / med['holdfast full backup']:.3f} (target <= 0.1); tar "
            f"{med['tar level 1'] / med['tar level 0']:.3f}",
            f"files referred to, not stored: {facts['referenced']} of {facts['files']}",
            f"warm-up: {INCR_WARMUP} full-and-incremental cycles; methods the JIT compiled during each measured "
            f"incremental backup: {', '.join(map(str, compiles)) if compiles else 'n/a (no jstat)'}",
            "files/s: " + "; ".join(f"{k} {facts['files'] / med[k]:,.0f}" for k in
                                    ("holdfast full backup", "holdfast incremental backup", "tar level 0",
                                     "tar level 1", "holdfast restore of the incremental",
                                     "tar -xf level 0 + level 1")),
            f"restored incremental tree equals the changed source (contents, modes, mtimes, links, empty dirs): "
            f"{'yes' if facts.get('identical') else 'NO'}",
            f"service peak RSS so far: {svc.peak_rss_mb():.0f} MB"], f"media-incremental{'' if INCR_CHANGES == 'redraw' else '-random'}.txt")
    for f in (l0, l1, snap0, snap1):
        os.remove(f)
    shutil.rmtree(restored, ignore_errors=True)


class S3Proxy:
    """s3proxy (the jar the build copies to target/s3proxy/) on loopback with SigV4: a real S3 API, as the tests use
    it. `backend` is jclouds' provider: `transient-nio2` keeps objects in s3proxy's memory (like a remote store, the
    bytes cost this host no disk writes), `filesystem-nio2` writes every part to this host's disk and concatenates
    them on completion. Its bucket is made before it starts."""

    def __init__(self, tmp, jfr=False, backend="filesystem-nio2", name="s3proxy"):
        jar = os.path.join(ROOT, "target", "s3proxy", "s3proxy.jar")
        if not os.path.isfile(jar):
            raise SystemExit("no target/s3proxy/s3proxy.jar: run ./mvnw package -DskipTests first")
        base = os.path.join(tmp, f"{name}-data")
        os.makedirs(os.path.join(base, "bench"))
        self.port = 19090 + (sum(map(ord, SUFFIX)) % 1000 if SUFFIX else 0) + (1 if backend.startswith("transient") else 0) \
            + (2 if name.endswith("trees") else 0)  # the trees part's store runs beside part s3's two
        self.access, self.secret = "bench", base64.b16encode(os.urandom(16)).decode().lower()
        props = os.path.join(tmp, f"{name}.properties")
        fd = os.open(props, os.O_WRONLY | os.O_CREAT, 0o600)  # the secret stays out of argv
        with os.fdopen(fd, "w") as f:
            f.write(f"s3proxy.endpoint=http://127.0.0.1:{self.port}\ns3proxy.authorization=aws-v2-or-v4\n"
                    f"s3proxy.identity={self.access}\ns3proxy.credential={self.secret}\n"
                    f"jclouds.provider={backend}\njclouds.filesystem.basedir={base}\n")
        self.log = open(os.path.join(OUT, f"{name}.log"), "w")
        rec = [f"-XX:StartFlightRecording=filename={OUT}/{name}.jfr,settings=profile"] if jfr else []
        # The memory backend holds the bucket in the heap: room for the archives of one run (each deleted after).
        heap = "-Xmx3g" if backend.startswith("transient") else "-Xmx512m"
        self.proc = subprocess.Popen(["java", heap] + rec + ["-jar", jar, "--properties", props],
                                     stdout=self.log, stderr=subprocess.STDOUT)
        for _ in range(120):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{self.port}/", timeout=2)
                break
            except urllib.error.HTTPError:
                break  # it answers (403 without a signature): up
            except Exception:
                time.sleep(0.5)
        else:
            raise SystemExit(f"s3proxy did not start; see {self.log.name}")
        if backend.startswith("transient"):
            self._create_bucket()

    def _create_bucket(self):
        """The memory backend starts empty: make the bucket with a signed PUT (boto-free SigV4, stdlib only)."""
        import hashlib, hmac, datetime
        now = datetime.datetime.now(datetime.timezone.utc)
        amz, day = now.strftime("%Y%m%dT%H%M%SZ"), now.strftime("%Y%m%d")
        host, empty = f"127.0.0.1:{self.port}", hashlib.sha256(b"").hexdigest()
        canonical = f"PUT\n/bench\n\nhost:{host}\nx-amz-content-sha256:{empty}\nx-amz-date:{amz}\n\n" \
                    f"host;x-amz-content-sha256;x-amz-date\n{empty}"
        scope = f"{day}/us-east-1/s3/aws4_request"
        to_sign = f"AWS4-HMAC-SHA256\n{amz}\n{scope}\n{hashlib.sha256(canonical.encode()).hexdigest()}"
        k = ("AWS4" + self.secret).encode()
        for part in (day, "us-east-1", "s3", "aws4_request"):
            k = hmac.new(k, part.encode(), hashlib.sha256).digest()
        sig = hmac.new(k, to_sign.encode(), hashlib.sha256).hexdigest()
        req = urllib.request.Request(f"http://{host}/bench", method="PUT", data=b"", headers={
            "x-amz-date": amz, "x-amz-content-sha256": empty,
            "Authorization": f"AWS4-HMAC-SHA256 Credential={self.access}/{scope}, "
                             f"SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature={sig}"})
        urllib.request.urlopen(req, timeout=10).read()

    def cpu_seconds(self):
        return cpu_seconds(self.proc.pid)

    def env(self):
        return {"HOLDFAST_STORAGE_TYPE": "s3", "HOLDFAST_STORAGE_S3_ENDPOINT": f"http://127.0.0.1:{self.port}",
                "HOLDFAST_STORAGE_S3_PATH_STYLE": "true", "HOLDFAST_STORAGE_S3_BUCKET": "bench",
                "HOLDFAST_STORAGE_S3_ACCESS_KEY_ID": self.access, "HOLDFAST_STORAGE_S3_SECRET_ACCESS_KEY": self.secret}

    def floor(self, archive):
        """The store's own floor for one archive: `curl` PUTs the file (SigV4, unsigned payload, one request) and GETs
        it back through `openssl dgst -sha256`, which is what a backup to this store must at least do (send the bytes,
        read them back and hash them). Returns the seconds taken; the object is deleted afterwards."""
        url = f"http://127.0.0.1:{self.port}/bench/floor-{os.getpid()}"
        auth = ["--aws-sigv4", "aws:amz:us-east-1:s3", "--user", f"{self.access}:{self.secret}",
                "-H", "x-amz-content-sha256: UNSIGNED-PAYLOAD"]
        t0 = time.monotonic()
        sh(["curl", "-sf", "-o", "/dev/null", *auth, "-T", archive, url])
        got = subprocess.run(f"curl -sf {' '.join(map(shlex.quote, auth))} {shlex.quote(url)} | openssl dgst -sha256 -r",
                             shell=True, check=True, capture_output=True, text=True).stdout.split()[0]
        elapsed = time.monotonic() - t0
        sh(["curl", "-sf", "-o", "/dev/null", *auth, "-X", "DELETE", url])
        want = subprocess.run(["openssl", "dgst", "-sha256", "-r", archive], check=True, capture_output=True,
                              text=True).stdout.split()[0]
        if got != want:
            raise SystemExit(f"store floor: the object read back differs from {archive}")
        return elapsed

    def stop(self):
        self.proc.terminate()
        self.proc.wait(30)


def download(svc, tok, backup_id, path):
    req = urllib.request.Request(f"http://127.0.0.1:{svc.port}/api/backups/{backup_id}/download",
                                 headers={"Authorization": f"Bearer {tok}"})
    with urllib.request.urlopen(req, timeout=120) as r, open(path, "wb") as f:
        shutil.copyfileobj(r, f, 1 << 20)


def age_env(tmp):
    """An age key pair made with age-keygen: the service encrypts to the recipient and reads with the identity."""
    key = os.path.join(tmp, "age-identity.txt")
    sh(["age-keygen", "-o", key], capture_output=True)
    recipient = subprocess.run(["age-keygen", "-y", key], check=True, capture_output=True, text=True).stdout.strip()
    return {"HOLDFAST_ENCRYPTION_RECIPIENTS": recipient, "HOLDFAST_ENCRYPTION_IDENTITIES_FILE": key}


def compare_services(title, name, svcs, tok, runs, with_media, stores=None):
    """Database (and media) backups through each service in `svcs` (label -> Service), in alternation; the
    first label is the baseline of the ratios. `stores` (label -> S3Proxy) names the store process of a label, whose
    CPU time is reported beside the service's: on loopback the store's work (SigV4 checks, part writes) runs on the
    same cores as the service's, which a remote store's would not."""
    stores = stores or {}
    results, sizes, cpu = {}, {}, {}
    labels = list(svcs)
    kinds = ["db"] + (["media"] if with_media else [])
    for label in labels:
        for kind in kinds:
            results[f"{kind} backup, {label}"] = []
            cpu[f"{kind} backup, {label}"] = ([], [])
    for svc in svcs.values():
        holdfast_backup(svc, tok)  # warm-up of each instance, not counted
    archive = None
    if stores and with_media:
        # The store floor's input: a media archive of the baseline instance, the same bytes the others send.
        _, _, bid = holdfast_media_backup(svcs[labels[0]], tok)
        archive = os.path.join(tempfile.gettempdir(), f"holdfast-floor-{bid}.tar")
        download(svcs[labels[0]], tok, bid, archive)
        svcs[labels[0]].call("DELETE", f"/api/backups/{bid}", tok)
        for label in stores:
            results[f"store floor, {label}"] = []

    def measured(key, label, fn):
        svc, store = svcs[label], stores.get(label)
        c0, s0 = svc.cpu_seconds(), store.cpu_seconds() if store else (0.0, 0.0)
        out = fn()
        c1, s1 = svc.cpu_seconds(), store.cpu_seconds() if store else (0.0, 0.0)
        cpu[key][0].append((c1[0] - c0[0], c1[1] - c0[1]))
        cpu[key][1].append((s1[0] - s0[0], s1[1] - s0[1]))
        return out

    for i in range(runs):
        for label, svc in svcs.items():
            key = f"db backup, {label}"
            t, size = measured(key, label, lambda: holdfast_backup(svc, tok))
            results[key].append(t)
            sizes[key] = size
            print(f"  run {i + 1} {key:<32} {t:7.2f} s", flush=True)
            if with_media:
                key = f"media backup, {label}"
                t, size, bid = measured(key, label, lambda: holdfast_media_backup(svc, tok))
                svc.call("DELETE", f"/api/backups/{bid}", tok)
                results[key].append(t)
                sizes[key] = size
                print(f"  run {i + 1} {key:<32} {t:7.2f} s", flush=True)
                if archive and label in stores:
                    key = f"store floor, {label}"
                    results[key].append(stores[label].floor(archive))
                    sizes[key] = os.path.getsize(archive)
                    print(f"  run {i + 1} {key:<32} {results[key][-1]:7.2f} s", flush=True)
    if archive:
        os.remove(archive)
    base = labels[0]
    ratios = [(f"{kind} backup, {label}", [f"{kind} backup, {base}"]) for kind in kinds for label in labels[1:]]
    ratios += [(f"media backup, {label}", [f"store floor, {label}"]) for label in stores if archive]
    extra = ["", "CPU seconds per backup (medians of user, system): service; store process"]
    for key, (svc_cpu, store_cpu) in cpu.items():
        def med(pairs, i):
            return statistics.median(p[i] for p in pairs)
        extra.append(f"  {key:<32} service {med(svc_cpu, 0):5.2f} user {med(svc_cpu, 1):5.2f} sys;"
                     f" store {med(store_cpu, 0):5.2f} user {med(store_cpu, 1):5.2f} sys")
    report(title, results, sizes, ratios,
           extra + [f"service peak RSS, {label}: {svc.peak_rss_mb():.0f} MB" for label, svc in svcs.items()], name)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--scale", type=int, default=10)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--keep-data", action="store_true", help="reuse the data of an earlier run")
    ap.add_argument("--env", action="append", default=[], help="NAME=VALUE for the service, e.g. "
                    "HOLDFAST_ARCHIVE_LEVEL=1")
    ap.add_argument("--parts", default="db,restore,media,s3,enc",
                    help="comma-separated: db, restore, media, trees (the three media trees of issue 17), incr (incremental media backups, issue 17), s3 (local disk vs s3proxy), enc (plain vs age)")
    ap.add_argument("--trees", default=",".join(MEDIA_TREES), help="which trees part `trees` measures: "
                    + ", ".join(MEDIA_TREES))
    ap.add_argument("--trees-store", default="local", choices=["local", "s3", "both"],
                    help="where part `trees` keeps its archives: local disk, s3proxy on loopback, or both")
    ap.add_argument("--jfr", action="store_true", help="record a JFR profile of the service to bench/out/")
    a = ap.parse_args()
    os.makedirs(OUT, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix="holdfast-bench-")
    exists = psql("postgres", f"SELECT count(*) FROM pg_database WHERE datname = '{DB}'") == "1"
    media_only = not set(a.parts.split(",")) & {"db", "restore", "s3", "enc"}
    if media_only and not exists:
        # The service's configured database source must exist, but media-only runs do not need 700 MB of it.
        psql("postgres", f"CREATE DATABASE {DB}")
        psql(DB, "CREATE TABLE t (id int PRIMARY KEY)")
    dbsize = int(psql(DB, "SELECT pg_database_size(current_database())")) if (exists and a.keep_data) \
        or media_only else make_data(a.scale)
    tables = psql(DB, "SELECT string_agg(format('%I.%I', schemaname, relname), ' ') FROM pg_stat_user_tables").split()
    key, pub = rs256_keypair(tmp)
    tok = token(key)
    parts = a.parts.split(",")
    tree = os.path.join(tmp, "tree")
    os.makedirs(tree, exist_ok=True)
    if "media" in parts:
        tree_bytes, tree_files = make_tree(tree)
    extra = dict(kv.split("=", 1) for kv in a.env)
    trees = {}
    os.makedirs(os.path.join(tmp, "tree-incr"), exist_ok=True)  # part `incr` makes it per run
    for kind, spec in MEDIA_TREES.items():
        path = os.path.join(tmp, f"tree-{kind}")
        os.makedirs(path, exist_ok=True)  # every configured source exists, even when its part does not run
        if "trees" in parts and kind in a.trees.split(","):
            t0 = time.monotonic()
            trees[kind] = make_sized_tree(path, *spec)
            print(f"tree {kind}: {trees[kind][1]} files, {trees[kind][0] / 1e6:.0f} MB, made in "
                  f"{time.monotonic() - t0:.0f} s", flush=True)
    if ("s3" in parts or "enc" in parts) and "media" not in parts:
        tree_bytes, tree_files = make_tree(tree)
    svc = Service(tmp, pub, a.jfr, extra)
    stores_up, others = [], []
    stamp = time.strftime('%Y-%m-%d %H:%M:%S')
    try:
        if media_only:  # warm-up: JIT (and page cache of the first tree), not counted
            _, _, bid = holdfast_media_backup(svc, tok, next(iter(trees), "bench"))
            svc.call("DELETE", f"/api/backups/{bid}", tok)
        else:
            holdfast_backup(svc, tok)  # warm-up: JIT and page cache, not counted
        if "db" in parts:
            results = {"holdfast database backup": [], "pg_dump -Fc": [], f"pg_dump -Fd -j {CORES}": [],
                       "COPY floor": []}
            sizes = {}
            for i in range(a.runs):
                for name, fn in (("holdfast database backup", lambda: holdfast_backup(svc, tok)),
                                 ("pg_dump -Fc", lambda: pg_dump_fc(tmp)),
                                 (f"pg_dump -Fd -j {CORES}", lambda: pg_dump_fd(tmp)),
                                 ("COPY floor", lambda: copy_floor(tables))):
                    t, size = fn()
                    results[name].append(t)
                    if size:
                        sizes[name] = size
                    print(f"  run {i + 1} {name:<30} {t:7.2f} s", flush=True)
            report(f"Database backup, {stamp}, {CORES} cores; {DB}: {dbsize / 1e6:.0f} MB on disk, {len(tables)} "
                   f"tables; {a.runs} runs each in alternation", results, sizes,
                   [("holdfast database backup", [k for k in results if k != "holdfast database backup"])],
                   [f"archive size holdfast / pg_dump -Fc: "
                    f"{sizes['holdfast database backup'] / sizes['pg_dump -Fc']:.2f}",
                    f"service peak RSS so far: {svc.peak_rss_mb():.0f} MB"], "database-backup.txt")
        if "restore" in parts:
            created = svc.call("POST", "/api/backups", tok, {"backup_type": "database", "databases": ["bench"]})
            bid = await_status(svc, tok, f"/api/backups/{created['resource']['id']}")[0]["id"]
            dump = os.path.join(tmp, "restore.fc")
            sh(["pg_dump", "-h", HOST, "-p", PORT, "-U", "postgres", "-Fc", "-f", dump, DB])
            # pg_restore -j cannot be one transaction; --single-transaction is the like-for-like contender
            # (all or nothing, as every Holdfast restore is).
            results = {"holdfast clean into empty db": [], f"pg_restore -j {CORES} into empty db": [],
                       "pg_restore --single-transaction": [],
                       "holdfast replace": [], "TRUNCATE + pg_restore --data-only": [],
                       "replace floor (same SQL via psql)": []}
            data_tables = ", ".join(tables)

            def fresh(name):
                psql("postgres", f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
                psql("postgres", f"CREATE DATABASE {name}")

            def hf_clean():
                # Both sides start from an existing empty database, created outside the timing.
                fresh(CLEAN_DB)
                t = holdfast_restore(svc, tok, bid, {"restore_mode": "clean", "target": CLEAN_DB,
                                                     "create_target": True, "create_pre_backup": False})
                # The service drops the empty database the restore replaced after the restore has ended; that
                # drop (and its checkpoint) must not overlap the next contender's timing.
                for _ in range(600):
                    if psql("postgres", f"SELECT count(*) FROM pg_database WHERE datname LIKE "
                            f"'{CLEAN_DB}\\_\\_hf\\_%'") == "0":
                        break
                    time.sleep(0.05)
                return t

            def pg_clean():
                fresh(PGR_DB)
                return timed(["pg_restore", "-h", HOST, "-p", PORT, "-U", "postgres", "-j", str(CORES), "-d",
                              PGR_DB, dump])

            def pg_clean_atomic():
                fresh(PGR_DB)
                return timed(["pg_restore", "-h", HOST, "-p", PORT, "-U", "postgres", "--single-transaction", "-d",
                              PGR_DB, dump])

            def hf_replace():
                return holdfast_restore(svc, tok, bid, {"restore_mode": "replace", "create_pre_backup": False})

            def pg_replace():
                t0 = time.monotonic()
                psql(DB, f"TRUNCATE {data_tables}")
                sh(["pg_restore", "-h", HOST, "-p", PORT, "-U", "postgres", "--data-only", "--single-transaction",
                    "--disable-triggers", "-d", DB, dump], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                return time.monotonic() - t0

            floor_script = replace_floor_script(svc, bid, tmp)

            def floor_replace():
                # What Holdfast's replace does, as one psql script on entries decompressed beforehand: the
                # server's share of the work, i.e. how much Holdfast itself adds.
                return timed(["psql", "-h", HOST, "-p", PORT, "-U", "postgres", "-d", DB, "-v", "ON_ERROR_STOP=1",
                              "-q", "-f", floor_script])

            for i in range(a.runs):
                for name, fn in zip(results, (hf_clean, pg_clean, pg_clean_atomic, hf_replace, pg_replace,
                                              floor_replace)):
                    t = fn()
                    results[name].append(t)
                    print(f"  run {i + 1} {name:<34} {t:7.2f} s", flush=True)
            report(f"Database restore, {stamp}, {CORES} cores; {DB}: {dbsize / 1e6:.0f} MB on disk; {a.runs} runs "
                   f"each in alternation", results, {},
                   [("holdfast clean into empty db", [f"pg_restore -j {CORES} into empty db",
                                                      "pg_restore --single-transaction"]),
                    ("holdfast replace", ["TRUNCATE + pg_restore --data-only",
                                          "replace floor (same SQL via psql)"])],
                   [f"service peak RSS so far: {svc.peak_rss_mb():.0f} MB"], "database-restore.txt")
            psql("postgres", f"DROP DATABASE IF EXISTS {CLEAN_DB} WITH (FORCE)")
            psql("postgres", f"DROP DATABASE IF EXISTS {PGR_DB} WITH (FORCE)")
        if "media" in parts:
            results = {"holdfast media backup": [], "tar --zstd -cf": [], "tar czf": [],
                       "holdfast media restore": [], "tar --zstd -xf": [], "tar xzf": []}
            sizes = {}
            out_zst, out_gz = os.path.join(tmp, "t.tar.zst"), os.path.join(tmp, "t.tar.gz")
            restored = os.path.join(os.path.realpath(tmp), "restored")  # media_target: a real path
            last = {}

            def hf_backup():
                t, size, bid = holdfast_media_backup(svc, tok)
                if "id" in last:
                    svc.call("DELETE", f"/api/backups/{last['id']}", tok)
                last["id"] = bid
                sizes["holdfast media backup"] = size
                return t

            def tar_zstd():
                t = timed(["tar", "--zstd", "-cf", out_zst, "-C", tree, "."])
                sizes["tar --zstd -cf"] = os.path.getsize(out_zst)
                return t

            def tar_gz():
                t = timed(["tar", "czf", out_gz, "-C", tree, "."])
                sizes["tar czf"] = os.path.getsize(out_gz)
                return t

            def hf_restore():
                shutil.rmtree(restored, ignore_errors=True)
                return holdfast_restore(svc, tok, last["id"], {"media_target": restored,
                                                               "create_pre_backup": False})

            def untar(flag):
                def run():
                    shutil.rmtree(restored, ignore_errors=True)
                    os.makedirs(restored)
                    return timed(["tar", flag, "-xf" if flag == "--zstd" else "-xf",
                                  out_zst if flag == "--zstd" else out_gz, "-C", restored])
                return run

            for i in range(a.runs):
                for name, fn in (("holdfast media backup", hf_backup), ("tar --zstd -cf", tar_zstd),
                                 ("tar czf", tar_gz), ("holdfast media restore", hf_restore),
                                 ("tar --zstd -xf", untar("--zstd")), ("tar xzf", untar("-z"))):
                    t = fn()
                    results[name].append(t)
                    print(f"  run {i + 1} {name:<30} {t:7.2f} s", flush=True)
            report(f"Media, {stamp}, {CORES} cores; tree of {tree_files} files, {tree_bytes / 1e6:.0f} MB (a third "
                   f"random bytes, the rest text); {a.runs} runs each in alternation", results, sizes,
                   [("holdfast media backup", ["tar --zstd -cf", "tar czf"]),
                    ("holdfast media restore", ["tar --zstd -xf", "tar xzf"])],
                   [f"service peak RSS: {svc.peak_rss_mb():.0f} MB"], "media.txt")
        if "incr" in parts:
            incr_part(svc, tok, tmp, a.runs, stamp)
        if "trees" in parts and a.trees_store in ("local", "both"):
            for kind, (tree_bytes_k, files_k) in trees.items():
                media_tree_part(svc, tok, tmp, kind, tree_bytes_k, files_k, a.runs, stamp)
        if "trees" in parts and a.trees_store in ("s3", "both"):
            # The same trees with the archives in s3proxy (filesystem backend, loopback): a restore reads its
            # entries by range from the store, where every request costs.
            s3trees = S3Proxy(tmp, a.jfr, "filesystem-nio2", "s3proxy-trees")
            stores_up.append(s3trees)
            svc_s3trees = Service(tmp, pub, a.jfr, {**extra, **s3trees.env()}, "s3trees")
            others.append(svc_s3trees)
            _, _, bid = holdfast_media_backup(svc_s3trees, tok, next(iter(trees)))  # warm-up, not counted
            svc_s3trees.call("DELETE", f"/api/backups/{bid}", tok)
            for kind, (tree_bytes_k, files_k) in trees.items():
                media_tree_part(svc_s3trees, tok, tmp, kind, tree_bytes_k, files_k, a.runs, stamp, "s3proxy")
        if "s3" in parts:
            # Two stores: s3proxy in memory (the service's cost of object storage, the store's bytes on no local
            # disk, as with a remote S3) and on this host's disk (what a same-host s3proxy or MinIO costs).
            s3mem = S3Proxy(tmp, a.jfr, "transient-nio2", "s3proxy-memory")
            s3proxy = S3Proxy(tmp, a.jfr, "filesystem-nio2", "s3proxy-disk")
            stores_up.extend([s3mem, s3proxy])
            svc_s3 = Service(tmp, pub, a.jfr, {**extra, **s3mem.env()}, "s3")
            svc_s3disk = Service(tmp, pub, a.jfr, {**extra, **s3proxy.env()}, "s3disk")
            others.extend([svc_s3, svc_s3disk])
            compare_services(f"Storage, {stamp}, {CORES} cores; {DB}: {dbsize / 1e6:.0f} MB, tree {tree_bytes / 1e6:.0f}"
                             f" MB; local disk vs s3proxy on loopback (SigV4; memory and filesystem backends); "
                             f"{a.runs} runs each in alternation", "s3.txt",
                             {"local disk": svc, "s3proxy memory": svc_s3, "s3proxy disk": svc_s3disk}, tok, a.runs,
                             True, {"s3proxy memory": s3mem, "s3proxy disk": s3proxy})
        if "enc" in parts:
            svc_enc = Service(tmp, pub, a.jfr, {**extra, **age_env(tmp)}, "enc")
            others.append(svc_enc)
            compare_services(f"Encryption, {stamp}, {CORES} cores; {DB}: {dbsize / 1e6:.0f} MB, tree "
                             f"{tree_bytes / 1e6:.0f} MB; plain vs age (X25519, ChaCha20-Poly1305); {a.runs} runs "
                             f"each in alternation", "encryption.txt", {"plain": svc, "age": svc_enc}, tok, a.runs,
                             True)
    finally:
        for o in others:
            o.stop()
        for store in stores_up:
            store.stop()
        svc.stop()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
