#!/usr/bin/env python3
"""Holdfast benchmark: Holdfast next to the standard tools, in one run, on data it creates itself.

Database part (issue 3): Holdfast database backup through the API (queued to SUCCEEDED, including
its re-read verification) vs `pg_dump -Fc`, `pg_dump -Fd -j <cores>` and the floor, plain
`COPY ... TO STDOUT` of every table into /dev/null (as parallel as Holdfast). Each contender runs
--runs times, in alternation; medians, sizes and ratios are printed and written to bench/out/.

Usage: bench/bench.py [--scale 40] [--runs 3] [--keep-data]
Needs: a built jar (./mvnw package -DskipTests), PostgreSQL on 127.0.0.1:5432 (trust), pgbench,
pg_dump, psql, openssl.
"""
import argparse, base64, json, os, shutil, signal, statistics, subprocess, sys, tempfile, time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "bench", "out")
PG = os.environ.get("BENCH_PG", "127.0.0.1:5432")
HOST, PORT = PG.split(":")
DB = "holdfast_bench"
CATALOG = "holdfast_bench_catalog"
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
    def __init__(self, tmp, pubkey, jfr=False, extra_env=None):
        self.storage = os.path.join(tmp, "archives")
        self.port = 18080
        psql("postgres", f"DROP DATABASE IF EXISTS {CATALOG} WITH (FORCE)")
        psql("postgres", f"CREATE DATABASE {CATALOG}")
        env = dict(os.environ,
                   HOLDFAST_DB_URL=f"jdbc:postgresql://{PG}/{CATALOG}", HOLDFAST_DB_USER="postgres",
                   HOLDFAST_STORAGE_ROOT=self.storage, QUARKUS_HTTP_PORT=str(self.port),
                   QUARKUS_OIDC_PUBLIC_KEY=pubkey, QUARKUS_OIDC_TOKEN_ISSUER="holdfast-bench",
                   QUARKUS_LOG_CONSOLE_JSON_ENABLED="false")
        env["HOLDFAST_DATABASES_BENCH_JDBC_URL"] = f"jdbc:postgresql://{PG}/{DB}"
        env["HOLDFAST_DATABASES_BENCH_USERNAME"] = "postgres"
        env.update(extra_env or {})
        self.log = open(os.path.join(OUT, "service.log"), "w")
        jar = os.path.join(ROOT, "target", "quarkus-app", "quarkus-run.jar")
        jvm = ["java"] + ([f"-XX:StartFlightRecording=filename={OUT}/holdfast.jfr,settings=profile"] if jfr else [])
        self.proc = subprocess.Popen(jvm + ["-jar", jar], env=env, stdout=self.log, stderr=subprocess.STDOUT)
        for _ in range(120):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{self.port}/q/health/ready", timeout=2)
                return
            except Exception:
                time.sleep(0.5)
        raise SystemExit("service did not become ready; see bench/out/service.log")

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

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(30)


def holdfast_backup(svc, tok):
    t0 = time.monotonic()
    created = svc.call("POST", "/api/backups", tok, {"backup_type": "database", "databases": ["bench"]})
    bid = created["backup"]["id"]
    while True:
        b = svc.call("GET", f"/api/backups/{bid}", tok)
        if b["status"] not in ("QUEUED", "RUNNING"):
            break
        time.sleep(0.05)
    elapsed = time.monotonic() - t0
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


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--scale", type=int, default=40)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--keep-data", action="store_true", help="reuse the data of an earlier run")
    ap.add_argument("--env", action="append", default=[], help="NAME=VALUE for the service, e.g. "
                    "HOLDFAST_ARCHIVE_LEVEL=1")
    ap.add_argument("--jfr", action="store_true", help="record a JFR profile of the service to bench/out/")
    a = ap.parse_args()
    os.makedirs(OUT, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix="holdfast-bench-")
    exists = psql("postgres", f"SELECT count(*) FROM pg_database WHERE datname = '{DB}'") == "1"
    dbsize = int(psql(DB, "SELECT pg_database_size(current_database())")) if exists and a.keep_data \
        else make_data(a.scale)
    tables = psql(DB, "SELECT string_agg(format('%I.%I', schemaname, relname), ' ') FROM pg_stat_user_tables").split()
    key, pub = rs256_keypair(tmp)
    tok = token(key)
    svc = Service(tmp, pub, a.jfr, dict(kv.split("=", 1) for kv in a.env))
    results = {"holdfast": [], "pg_dump -Fc": [], f"pg_dump -Fd -j {CORES}": [], "COPY floor": []}
    sizes = {}
    try:
        holdfast_backup(svc, tok)  # warm-up: JIT and page cache, not counted
        for i in range(a.runs):
            for name, fn in (("holdfast", lambda: holdfast_backup(svc, tok)),
                             ("pg_dump -Fc", lambda: pg_dump_fc(tmp)),
                             (f"pg_dump -Fd -j {CORES}", lambda: pg_dump_fd(tmp)),
                             ("COPY floor", lambda: copy_floor(tables))):
                t, size = fn()
                results[name].append(t)
                if size:
                    sizes[name] = size
                print(f"  run {i + 1} {name:<18} {t:7.2f} s" + (f"  {size / 1e6:8.1f} MB" if size else ""), flush=True)
        rss = svc.peak_rss_mb()
    finally:
        svc.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    med = {k: statistics.median(v) for k, v in results.items()}
    lines = [f"Holdfast database backup benchmark, {time.strftime('%Y-%m-%d %H:%M:%S')}, {CORES} cores",
             f"database {DB}: {dbsize / 1e6:.0f} MB on disk, {len(tables)} tables, {a.runs} runs each in alternation",
             "", f"{'contender':<20}{'median s':>10}{'archive MB':>12}   runs"]
    for k, v in results.items():
        lines.append(f"{k:<20}{med[k]:>10.2f}{(sizes.get(k, 0) / 1e6 or float('nan')):>12.1f}   "
                     + ", ".join(f"{x:.2f}" for x in v))
    lines += ["", "ratios (Holdfast / other, wall time): "
              + "; ".join(f"vs {k}: {med['holdfast'] / med[k]:.2f}" for k in results if k != "holdfast"),
              f"archive size Holdfast / pg_dump -Fc: {sizes['holdfast'] / sizes['pg_dump -Fc']:.2f}",
              f"service peak RSS: {rss:.0f} MB"]
    report = "\n".join(lines)
    print("\n" + report)
    with open(os.path.join(OUT, "database-backup.txt"), "w") as f:
        f.write(report + "\n")


if __name__ == "__main__":
    main()
