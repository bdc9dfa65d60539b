"""`make bench`: the pages staff use, through gunicorn configured as on Render, on generated data.

    .venv/bin/python bench/run.py                          # 1 year (qc_bench) and 5 years (qc_bench_5y)
    .venv/bin/python bench/run.py --data 1y --no-load      # quicker: one size, no load run
    .venv/bin/python bench/run.py --generate               # (re)create the databases first

For each data size: gunicorn (gunicorn.conf.py: one worker, 4 threads, DEBUG=false) serves the real
URL stack; every page gets a warm-up request and then --requests timed ones (exports: --export-requests),
reporting median and p95 wall time, the server's own time and the SQL queries (BENCH=true adds
X-Query-Count and X-Server-Time-Ms to each response). The operations list is also served by
Django's bare ModelAdmin for comparison. Then the load run: --load-users simulated staff (lists,
searches, opening operations, the position, creating an operation and cancelling it) for
--load-seconds each, pausing --think-seconds (3 s) on average between rounds as a person does.
The worker's peak RSS is read from /proc. The table is printed and written into docs/benchmarks.md
between the BENCH markers.

The databases are PostgreSQL on 127.0.0.1:5432 (user postgres); never the project's database.
"""

import argparse
import datetime as dt
import os
import platform
import re
import secrets
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

SIZES = {
    "1y": ("qc_bench", 36_000, 8_400),
    "5y": ("qc_bench_5y", 180_000, 42_000),
    "1m": ("qc_bench_1m", 1_000_000, 250_000),
}
PG = "postgres://postgres@127.0.0.1:5432/"
START, END = "<!-- BENCH:START -->", "<!-- BENCH:END -->"


def django_env(db, secret):
    return {
        **os.environ,
        "DATABASE_URL": PG + db,
        "DEBUG": "false",
        "SECRET_KEY": secret,
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "BENCH": "true",
        # Production refuses to start without a shared cache.
        "REDIS_URL": os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/9"),
        "LOG_LEVEL": "WARNING",
        "GUNICORN_LOG_LEVEL": "warning",
        "RATELIMIT_ENABLE": "false",
        "CONN_MAX_AGE": "60",
    }


def missing(key):
    """True when the size's database does not exist yet or holds no operations."""
    import psycopg

    db = SIZES[key][0]
    try:
        with psycopg.connect(f"host=127.0.0.1 port=5432 user=postgres dbname={db}") as conn:
            return not conn.execute("SELECT EXISTS (SELECT 1 FROM operations_operation)").fetchone()[0]
    except psycopg.Error:
        return True


def generate(key):
    db, ops, clients = SIZES[key]
    import psycopg

    with psycopg.connect("host=127.0.0.1 port=5432 user=postgres dbname=postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {db}")
        conn.execute(f"CREATE DATABASE {db}")
    env = {**os.environ, "DATABASE_URL": PG + db, "DEBUG": "true"}
    python = sys.executable
    subprocess.run([python, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    command = ["manage.py", "generate_data", "--operations", str(ops), "--clients", str(clients), "--seed", "1"]
    subprocess.run([python, *command], cwd=ROOT, env=env, check=True)


# --- the server ---------------------------------------------------------------------------------------


def start_server(env, port):
    # DEBUG=false serves the hashed static files (whitenoise's manifest), as on Render.
    subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "qoricash.wsgi", "-c", "gunicorn.conf.py"],
        cwd=ROOT,
        env={**env, "PORT": str(port)},
    )
    import requests

    for _ in range(120):
        try:
            if requests.get(f"http://127.0.0.1:{port}/health/", timeout=2).status_code < 500:
                return server
        except requests.RequestException:
            pass
        time.sleep(0.5)
    server.terminate()
    raise SystemExit("gunicorn did not answer on /health/")


def worker_pids(master):
    children = Path(f"/proc/{master}/task/{master}/children")
    return [int(p) for p in children.read_text().split()] if children.exists() else []


def peak_rss_mb(pid):
    """The process's peak RSS (VmHWM), or None once it has exited."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return None
    return int(re.search(r"VmHWM:\s+(\d+) kB", status).group(1)) / 1024


class WorkerPeak:
    """The highest peak RSS of the server's workers, sampled twice a second: gunicorn recycles its
    worker every max_requests (about 1,000), so a long run sees several, and a finished one's peak
    can no longer be read at the end."""

    def __init__(self, master):
        self.master, self.peak, self.workers = master, 0.0, set()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self):
        while not self._stop.is_set():
            self.sample()
            self._stop.wait(0.5)

    def sample(self):
        for pid in worker_pids(self.master):
            self.workers.add(pid)
            self.peak = max(self.peak, peak_rss_mb(pid) or 0.0)
        return self.peak

    def stop(self):
        self._stop.set()
        self._thread.join()
        return self.sample()


# --- the browsers -------------------------------------------------------------------------------------


def sessions_for(roles):
    """A logged-in session per role, written with the server's own SECRET_KEY (no login form: the
    benchmark measures pages, and the login's rate limit and password hashing would only add noise)."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    from accounts.models import User

    keys = {}
    for role, username in roles.items():
        user = User.objects.get(username=username)
        session = SessionStore()
        session.update(
            {
                SESSION_KEY: str(user.pk),
                BACKEND_SESSION_KEY: "accounts.backends.OneQueryModelBackend",
                HASH_SESSION_KEY: user.get_session_auth_hash(),
            }
        )
        session.create()
        keys[role] = session.session_key
    return keys


class Browser:
    """A requests session that behaves as a browser behind Render's TLS proxy."""

    def __init__(self, port, session_key):
        import requests

        self.base = f"http://127.0.0.1:{port}"
        self.http = requests.Session()
        self.http.headers.update(
            {
                "X-Forwarded-Proto": "https",
                "Origin": f"https://127.0.0.1:{port}",
                "Referer": f"https://127.0.0.1:{port}/",
            }
        )
        self.cookies = {"sessionid": session_key}

    def request(self, method, path, **kwargs):
        started = time.perf_counter()
        response = self.http.request(
            method, self.base + path, cookies=self.cookies, allow_redirects=False, timeout=600, **kwargs
        )
        body = response.content
        elapsed = (time.perf_counter() - started) * 1000
        for cookie in response.cookies:  # secure cookies, kept although this leg is plain http
            self.cookies[cookie.name] = cookie.value
        return response, body, elapsed


def pct(values, q):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))]


def measure(browser, path, n):
    browser.request("GET", path)  # warm-up
    walls, servers, queries, status = [], [], set(), set()
    for _ in range(n):
        response, _body, wall = browser.request("GET", path)
        walls.append(wall)
        servers.append(float(response.headers.get("X-Server-Time-Ms", "nan")))
        queries.add(response.headers.get("X-Query-Count", "?"))
        status.add(response.status_code)
    return {
        "median": statistics.median(walls),
        "p95": pct(walls, 95),
        "server_p95": pct(servers, 95),
        "queries": "/".join(sorted(queries)),
        "status": "/".join(str(s) for s in sorted(status)),
        "n": n,
    }


# --- the load run -------------------------------------------------------------------------------------


def load_run(port, keys, users, seconds, plan, think=0.0):
    """`users` threads, each a staff member looping over a mixed workload for `seconds`.

    Between rounds each one reads the page for `think` seconds on average (uniform, half to one and a
    half times): a person clicks every few seconds, not continuously. With think=0 the run measures
    saturation instead (every thread always waiting on the server)."""
    import random

    results, errors, lock = [], [], threading.Lock()
    deadline = time.monotonic() + seconds

    def staff(n):
        role = ("trader", "master", "operator")[n % 3]
        browser = Browser(port, keys[role])
        pause = random.Random(n)  # noqa: S311 - benchmark pacing
        step = n
        while time.monotonic() < deadline:
            if think:
                time.sleep(pause.uniform(think / 2, think * 1.5))
            step += 1
            try:
                for method, path, data in plan(role, step, browser):
                    response, _body, wall = browser.request(method, path, data=data)
                    ok = response.status_code < 400
                    with lock:
                        results.append(wall)
                        if not ok:
                            errors.append(f"{response.status_code} {method} {path}")
            except Exception as exc:  # noqa: BLE001 - a failed request is counted, the run goes on
                with lock:
                    errors.append(repr(exc)[:200])

    threads = [threading.Thread(target=staff, args=(n,)) for n in range(users)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    return {
        "users": users,
        "requests": len(results),
        "throughput": len(results) / elapsed,
        "p50": pct(results, 50) if results else 0,
        "p95": pct(results, 95) if results else 0,
        "p99": pct(results, 99) if results else 0,
        "errors": len(errors),
        "error_sample": sorted(set(errors))[:5],
    }


def workload(pages_by_name, trade):
    """The mixed workload: what each role does in one round."""
    reads = {
        "trader": ["operations list (trader)", "index (trader)", "operations, search surname", "operation page"],
        "master": ["operations list", "operations, status completed", "clients, search 'gar'", "index (master)"],
        "operator": ["index (operator)", "queue refresh", "operations, search code", "position, busiest day"],
    }

    def plan(role, step, browser):
        names = reads[role]
        yield "GET", pages_by_name[names[step % len(names)]], None
        yield "GET", pages_by_name[names[(step + 1) % len(names)]], None
        if role == "trader" and step % 4 == 0:
            yield from trade(browser, step)

    return plan


def trader_trade(add_url, client):
    """Create an operation through the admin form, then cancel it (with its reason)."""
    token = re.compile(rb'name="csrfmiddlewaretoken" value="([^"]+)"')

    def trade(browser, step):
        _response, body, _wall = browser.request("GET", add_url)
        csrf = token.search(body).group(1).decode()
        data = {
            "csrfmiddlewaretoken": csrf,
            "client": client["id"],
            "type": "buy",
            "amount_usd": f"{100 + step % 900}.00",
            "rate": "",
            "source_account": client["usd"],
            "destination_account": client["pen"],
            "notes": "",
        }
        response, _body, _wall = browser.request("POST", add_url, data=data)
        yield "GET", add_url, None
        location = response.headers.get("Location", "")
        match = re.search(r"/(\d+)/change/", location)
        if not match:
            raise RuntimeError(f"operation not created: {response.status_code}")
        cancel = add_url.replace("add/", f"{match.group(1)}/transition/cancel/")
        _response, body, _wall = browser.request("GET", cancel)
        csrf = token.search(body).group(1).decode()
        yield "POST", cancel, {"csrfmiddlewaretoken": csrf, "reason": "Prueba de carga"}

    return trade


# --- one data size ------------------------------------------------------------------------------------


def bench_size(key, args, port):
    db, _ops, _clients = SIZES[key]
    secret = secrets.token_urlsafe(50)
    env = django_env(db, secret)
    os.environ.update(env)
    os.environ["DJANGO_SETTINGS_MODULE"] = "qoricash.settings"
    import django

    django.setup()
    from django.db import connection
    from django.urls import reverse
    from pages import ROLES, pages

    from clients.models import Client
    from operations.models import Operation

    page_list = pages()
    keys = sessions_for(ROLES)
    trader_client = (
        Client.objects.active()
        .filter(owner__username=ROLES["trader"])
        .values("id", "accounts__id", "accounts__currency")
        .order_by("id")
    )
    accounts = {}
    for row in trader_client:
        accounts.setdefault(row["id"], {})[row["accounts__currency"]] = row["accounts__id"]
    client_id, client_accounts = next(iter(accounts.items()))
    client = {"id": client_id, "usd": client_accounts["USD"], "pen": client_accounts["PEN"]}
    counts = {"operations": Operation.objects.count(), "clients": Client.objects.count()}
    connection.close()

    server = start_server(env, port)
    try:
        watch = WorkerPeak(server.pid)
        rows = []
        browsers = {role: Browser(port, key) for role, key in keys.items()}
        for name, role, path in page_list:
            n = args.export_requests if "export" in name else args.requests
            row = measure(browsers[role], path, n)
            row.update(name=name, role=role)
            rows.append(row)
            print(
                f"  {name:<34} median {row['median']:8.1f} ms  p95 {row['p95']:8.1f} ms  queries {row['queries']}",
                flush=True,
            )
        bare = measure(browsers["master"], "/bare-admin/operations/operation/", args.requests)
        ours = next(r for r in rows if r["name"] == "operations list")
        bare_ratio = ours["median"] / bare["median"]
        print(f"  bare ModelAdmin list median {bare['median']:.1f} ms; ours / bare = {bare_ratio:.2f}", flush=True)
        rss_pages = watch.sample()
        loads = []
        if not args.no_load:
            by_name = {name: path for name, _role, path in page_list}
            plan = workload(by_name, trader_trade(reverse("admin:operations_operation_add"), client))
            for users in args.load_users:
                result = load_run(port, keys, users, args.load_seconds, plan, args.think_seconds)
                loads.append(result)
                print(
                    f"  load {users} staff: {result['throughput']:.1f} req/s, p50 {result['p50']:.0f} ms, "
                    f"p95 {result['p95']:.0f} ms, p99 {result['p99']:.0f} ms, errors {result['errors']}",
                    flush=True,
                )
        rss_end = watch.stop()
    finally:
        server.terminate()
        server.wait(timeout=60)
    return {
        "key": key,
        "counts": counts,
        "rows": rows,
        "bare": bare,
        "bare_ratio": bare_ratio,
        "rss_pages": rss_pages,
        "rss_end": rss_end,
        "loads": loads,
    }


# --- the report ---------------------------------------------------------------------------------------


def commit():
    out = subprocess.run(["git", "log", "-1", "--format=%h %cs"], cwd=ROOT, capture_output=True, text=True)
    return out.stdout.strip() or "unknown"


def machine():
    cpus = os.cpu_count()
    model = ""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        found = re.search(r"model name\s*:\s*(.+)", cpuinfo.read_text())
        model = found.group(1).strip() if found else ""
    return f"{cpus} cores {model}, {platform.system()} {platform.release()}, Python {platform.python_version()}"


def report(results, load_before, load_after):
    lines = [
        START,
        f"Measured {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC on commit {commit()}; {machine()}; PostgreSQL on "
        f"the same machine; gunicorn as on Render (1 worker × 4 threads, DEBUG=false). Load average "
        f"{load_before:.1f} before, {load_after:.1f} after.",
        "",
    ]
    header = "| page (30 requests after a warm-up) | role |"
    sizes = []
    for result in results:
        c = result["counts"]
        sizes.append(f"{c['operations']:,} ops / {c['clients']:,} clients")
        header += f" median / p95 / server p95 (ms), queries — {sizes[-1]} |"
    lines += [header, "|---|---|" + "---|" * len(results)]
    for i, row in enumerate(results[0]["rows"]):
        cells = [f"| {row['name']} | {row['role']} |"]
        for result in results:
            r = result["rows"][i]
            note = f" ({r['n']} req.)" if r["n"] != results[0]["rows"][0]["n"] else ""
            status = "" if r["status"] == "200" else f" **HTTP {r['status']}**"
            cells.append(
                f" {r['median']:.0f} / {r['p95']:.0f} / {r['server_p95']:.0f}, {r['queries']} q{note}{status} |"
            )
        lines.append("".join(cells))
    lines.append(
        "| operations list, bare ModelAdmin (Django defaults) | master |"
        + "".join(
            f" {r['bare']['median']:.0f} / {r['bare']['p95']:.0f}, ours / bare = {r['bare_ratio']:.2f} |"
            for r in results
        )
    )
    lines.append(
        "| worker peak RSS after the pages / after everything | — |"
        + "".join(f" {r['rss_pages']:.0f} MB / {r['rss_end']:.0f} MB |" for r in results)
    )
    loads = [(r, load) for r in results for load in r["loads"]]
    if loads:
        lines += [
            "",
            "| load run (mixed workload, 1 worker × 4 threads) | data | throughput | p50 | p95 | p99 | errors |",
            "|---|---|---|---|---|---|---|",
        ]
        for r, load in loads:
            c = r["counts"]
            lines.append(
                f"| {load['users']} staff for {LOAD_SECONDS} s, {THINK_SECONDS:g} s between rounds "
                f"| {c['operations']:,} ops "
                f"| {load['throughput']:.1f} req/s "
                f"| {load['p50']:.0f} ms | {load['p95']:.0f} ms | {load['p99']:.0f} ms | {load['errors']} |"
            )
            for sample in load["error_sample"]:
                lines.append(f"|  | error: `{sample}` | | | | | |")
    lines.append(END)
    return "\n".join(lines)


LOAD_SECONDS = 180
THINK_SECONDS = 3.0


def write(table, path):
    text = path.read_text() if path.exists() else "# Benchmarks\n"
    if START in text and END in text:
        text = text[: text.index(START)] + table + text[text.index(END) + len(END) :]
    else:
        text = text.rstrip() + "\n\n## `make bench`: the pages at 1 and 5 years of data\n\n" + table + "\n"
    path.write_text(text)


def main():
    global LOAD_SECONDS, THINK_SECONDS
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", nargs="+", choices=list(SIZES), default=["1y", "5y"])
    parser.add_argument("--generate", action="store_true", help="drop and generate the databases first")
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--export-requests", type=int, default=1)
    parser.add_argument("--no-load", action="store_true")
    parser.add_argument("--load-users", type=int, nargs="+", default=[20, 50])
    parser.add_argument("--load-seconds", type=int, default=180)
    parser.add_argument("--think-seconds", type=float, default=3.0, help="average pause between rounds")
    parser.add_argument("--port", type=int, default=8790)
    parser.add_argument("--output", default=str(ROOT / "docs" / "benchmarks.md"))
    parser.add_argument("--one", help=argparse.SUPPRESS)  # internal: bench one size in this process
    args = parser.parse_args()
    LOAD_SECONDS = args.load_seconds
    THINK_SECONDS = args.think_seconds

    if args.one:
        import json

        args.no_load = args.no_load or args.one != args.data[-1]
        result = bench_size(args.one, args, args.port)
        print("RESULT " + json.dumps(result), flush=True)
        return
    for key in args.data:
        if args.generate or missing(key):
            print(f"== generating {key} into {SIZES[key][0]}", flush=True)
            generate(key)
    import json

    load_before = os.getloadavg()[0]
    results = []
    for key in args.data:  # one process per size: Django is set up once per process
        print(f"== {key}: {SIZES[key][0]}", flush=True)
        command = [sys.executable, __file__, "--one", key, *sys.argv[1:]]
        out = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
        sys.stdout.write("".join(line + "\n" for line in out.stdout.splitlines() if not line.startswith("RESULT ")))
        if out.returncode:
            sys.stderr.write(out.stderr[-4000:])
            raise SystemExit(out.returncode)
        results.append(json.loads(next(line[7:] for line in out.stdout.splitlines() if line.startswith("RESULT "))))
    table = report(results, load_before, os.getloadavg()[0])
    print(table)
    write(table, Path(args.output))


if __name__ == "__main__":
    main()
