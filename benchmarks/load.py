"""Load under a traffic spike: our app and Isso under the same gunicorn, driven side by side from 127.0.0.1.

Flows, each measured for both servers in the same run:
  (a) a reader posting a comment: ours through the full form path (the CSRF
      token and session cookie taken from the article page once per connection,
      then POSTs), Isso its ``POST /new?uri=``; at concurrency 8 and 32;
  (b) reading a thread of 200 published comments (threaded, some replies): our
      article page against Isso's thread JSON (``GET /?uri=``);
  (c) our JSON API read of the same thread (``/api/articles/SLUG/comments``)
      against the same Isso JSON.
Printed per flow: requests/s, p50, p99, errors and the ours/Isso ratio. At
the end, the comments stored are counted against the successful posts.

The load generator is ``wrk`` (Debian's package; ``apt-get install wrk``), not a
Python client: on a 2-core machine the generator competes with the servers for
CPU, and wrk spends a few microseconds per request where an asyncio client
spends a few hundred, so the figures are the servers' and not the client's.
Its Lua hooks do what a reader does: each wrk thread drives one connection
(``-t`` = ``-c``), fetches the page once for its CSRF token and cookie, and
posts unique texts (the duplicate check would refuse repeats).

Our app runs on SQLite in a temporary instance folder and, when DATABASE_URL
is set, a second time on that PostgreSQL database, which it EMPTIES (drops
and recreates every table): point it at a scratch database. Isso is
pip-installed into a throwaway virtualenv under the temporary folder (or
``--isso-venv DIR`` to reuse one). Rate limits are off. Every server listens on
127.0.0.1 only, and every run is bounded by ``--seconds``.

    .venv/bin/python benchmarks/load.py [--seconds 10] [--worker-class sync|gthread] [--threads 4]
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import common  # noqa: F401  (puts the repository root on sys.path)
from web import seed_thread

ROOT = Path(__file__).resolve().parents[1]
PORTS = range(5650, 5670)
PAGE_COMMENTS = 200

#: One wrk thread per connection, so each Lua state is one reader whose requests go one after another.
#: A thread numbers its posts 1, 2, ... and remembers which got no success: an answer that was not a
#: success, or no answer at all (a broken connection, or in flight when wrk stopped at the deadline).
#: The rest are the successes, which the stored texts are checked against.
WRK_COMMON = r"""
local threads = {}
local next_id = 1
function setup(thread)
  thread:set("tid", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end
ok, other, sent = 0, 0, 0
refused, unanswered = "", ""
pending = nil
function sending(n)
  if pending then unanswered = unanswered .. pending .. "," end
  pending = n
  sent = n
end
function answered(success)
  if success then ok = ok + 1 else other = other + 1; refused = refused .. pending .. "," end
  pending = nil
end
function done(summary, latency, requests)
  local e = summary.errors
  local parts = {}
  for _, t in ipairs(threads) do
    local left = t:get("unanswered")
    if t:get("pending") then left = left .. t:get("pending") .. "," end
    table.insert(parts, string.format('{"tid": %d, "sent": %d, "ok": %d, "other": %d, "refused": "%s", "unanswered": "%s"}',
      t:get("tid"), t:get("sent"), t:get("ok"), t:get("other"), t:get("refused"), left))
  end
  io.write(string.format(
    'WRKJSON {"requests": %d, "seconds": %f, "socket_errors": %d, "status_errors": %d, ' ..
    '"p50_ms": %f, "p99_ms": %f, "threads": [%s]}\n',
    summary.requests, summary.duration / 1e6, e.connect + e.read + e.write + e.timeout, e.status,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, table.concat(parts, ", ")))
end
"""

#: Our reader: GET the article page once, then POST the form with its token and cookie.
WRK_OUR_POST = WRK_COMMON + r"""
local tag, page, post
local token, cookie
function init(args)
  tag, page, post = args[1], args[2], args[3]
end
function request()
  if not token then return wrk.format("GET", page) end
  sending(sent + 1)
  local body = "comment=Load+" .. tag .. "+reader+" .. tid .. "+comment+" .. sent ..
    "+about+the+harbour+bridge+closure.&author=Reader+" .. tid ..
    "&email=reader" .. tid .. "%40example.org&url=&comment_parent=&csrf_token=" .. token
  return wrk.format("POST", post, {["Content-Type"] = "application/x-www-form-urlencoded",
                                   ["Cookie"] = cookie}, body)
end
function response(status, headers, body)
  if not token then
    token = body:match('name="csrf_token" type="hidden" value="([^"]+)"')
    cookie = (headers["Set-Cookie"] or ""):match("^([^;]+)")
    return
  end
  answered(status == 302)
end
"""

#: Isso's reader: its API takes JSON and has no form token.
WRK_ISSO_POST = WRK_COMMON + r"""
local tag, post
function init(args)
  tag, post = args[1], args[2]
end
function request()
  sending(sent + 1)
  local body = '{"text": "Load ' .. tag .. ' reader ' .. tid .. ' comment ' .. sent ..
    ' about the harbour bridge closure.", "author": "Reader ' .. tid ..
    '", "email": "reader' .. tid .. '@example.org", "title": "Bench"}'
  return wrk.format("POST", post, {["Content-Type"] = "application/json"}, body)
end
function response(status, headers, body)
  answered(status == 201 or status == 202)
end
"""

WRK_GET = WRK_COMMON + r"""
function request()
  sending(sent + 1)
  return wrk.format("GET")
end
function response(status, headers, body)
  answered(status == 200)
end
"""

#: The posts' texts name their run, thread and number: "Load c8 reader 3 comment 17 ...".
TEXT_KEY = re.compile(r"^Load (\S+) reader (\d+) comment (\d+) ")


@dataclass
class Result:
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int
    #: (wrk thread, post number) of every request that got its success answer.
    successes: set[tuple[int, int]]
    #: ... and of those that got no answer: outcome unknown to the client, so either way is right.
    unanswered: set[tuple[int, int]]

    @property
    def ok(self) -> int:
        return len(self.successes)

    def __str__(self) -> str:
        return f"{self.rps:7.1f}/s  p50 {self.p50_ms:6.1f} ms  p99 {self.p99_ms:6.1f} ms  errors {self.errors}"


def free_ports(n: int) -> list[int]:
    import socket

    found = []
    for port in PORTS:
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
        found.append(port)
        if len(found) == n:
            return found
    sys.exit(f"not enough free ports in {PORTS.start}-{PORTS.stop - 1}")


def _numbers(listed: str) -> set[int]:
    return {int(n) for n in listed.split(",") if n}


def wrk(script: Path, url: str, connections: int, seconds: int, *args: str) -> Result:
    out = subprocess.run(
        ["wrk", f"-t{connections}", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s", "-s", str(script),
         url, "--", *args],
        capture_output=True, text=True, timeout=seconds + 60, check=True,
    ).stdout
    line = next(line for line in out.splitlines() if line.startswith("WRKJSON "))
    data = json.loads(line[len("WRKJSON "):])
    successes, unanswered = set(), set()
    for t in data["threads"]:
        refused, left = _numbers(t["refused"]), _numbers(t["unanswered"])
        unanswered |= {(t["tid"], n) for n in left}
        successes |= {(t["tid"], n) for n in range(1, t["sent"] + 1) if n not in left and n not in refused}
    # Only the measured kind of request counts: a reader's first GET fetches the form.
    answered = sum(t["ok"] + t["other"] for t in data["threads"])
    errors = data["socket_errors"] + sum(t["other"] for t in data["threads"])
    return Result(answered / data["seconds"], data["p50_ms"], data["p99_ms"], errors, successes, unanswered)


def check_stored(texts: list[str], runs: dict[str, Result]) -> str:
    """Every success stored exactly once; nothing else stored but posts whose answer never came."""
    stored = Counter(
        (m.group(1), int(m.group(2)), int(m.group(3))) if (m := TEXT_KEY.match(text)) else text for text in texts
    )
    expected = {(tag, tid, n) for tag, result in runs.items() for tid, n in result.successes}
    maybe = {(tag, tid, n) for tag, result in runs.items() for tid, n in result.unanswered}
    missing = expected - stored.keys()
    duplicated = sum(count - 1 for count in stored.values())
    unexpected = stored.keys() - expected - maybe
    verdict = "none lost, none duplicated" if not (missing or duplicated or unexpected) else "MISMATCH"
    return (f"stored {len(texts)}: {len(expected) - len(missing)} of {len(expected)} successful posts, "
            f"{duplicated} duplicates, {len(unexpected)} unexpected, {len(stored.keys() & maybe)} of the "
            f"{len(maybe)} posts still in flight when wrk stopped: {verdict}")


class Server:
    """A gunicorn master with its workers, stopped (SIGTERM, then SIGKILL) on exit."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str], port: int, probe: str) -> None:
        self.name, self.port = name, port
        self.log = open(Path(tempfile.gettempdir()) / f"load-{name}-{port}.log", "w")  # noqa: SIM115
        self.process = subprocess.Popen(argv, env=env, cwd=ROOT, stdout=self.log, stderr=subprocess.STDOUT,
                                        start_new_session=True)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                sys.exit(f"{name} exited at start; see {self.log.name}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}{probe}", timeout=5) as r:
                    if r.status == 200:
                        return
            except OSError:
                time.sleep(0.3)
        sys.exit(f"{name} did not start; see {self.log.name}")

    def workers(self) -> list[int]:
        pid = self.process.pid
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()


def gunicorn(python: str, app: str, port: int, args: argparse.Namespace) -> list[str]:
    argv = [python, "-m", "gunicorn", "--workers", "2", "--bind", f"127.0.0.1:{port}", "--log-level", "warning"]
    if args.worker_class != "sync":
        argv += ["--worker-class", args.worker_class, "--threads", str(args.threads)]
    return [*argv, app]


# --- our app ---------------------------------------------------------------


def our_env(instance: Path, database_url: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(MODERATION_INSTANCE_PATH=str(instance), MODERATION_RATELIMIT_ENABLED="false",
               MODERATION_SECRET_KEY="load-benchmark", MODERATION_COMMENTS_PER_PAGE="1000",
               PYTHONPATH=str(ROOT))
    if database_url:
        env["DATABASE_URL"] = database_url
    return env


def prepare_ours(instance: Path, database_url: str | None) -> None:
    """A fresh schema, the 200-comment thread and an empty article to post to, written in this process."""
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(our_env(instance, database_url))
    try:
        from moderation import create_app
        from moderation.extensions import db
        from moderation.model.store import seed
        from moderation.models import Article

        app = create_app()
        with app.app_context():
            db.drop_all()
            db.create_all()
            seed()  # the shipped model, as init-db puts it in the database
            seed_thread(PAGE_COMMENTS)  # article "bench"
            db.session.add(Article(slug="posts", title="Posting here", body="Readers post below."))
            db.session.commit()
            db.engine.dispose()
    finally:
        os.environ.clear()
        os.environ.update(saved)


def stored_ours(instance: Path, database_url: str | None) -> list[str]:
    import sqlalchemy as sa

    from moderation.config import database_url as resolve

    engine = sa.create_engine(resolve(database_url, instance))
    with engine.connect() as conn:
        texts = conn.execute(sa.text(
            "SELECT comments.text FROM comments JOIN articles ON articles.id = comments.article_id "
            "WHERE articles.slug = 'posts'")).scalars().all()
    engine.dispose()
    return list(texts)


# --- Isso ------------------------------------------------------------------


def isso_python(tmp: Path, venv: Path | None) -> str:
    if venv is None:
        venv = tmp / "isso-venv"
        print("installing Isso into a throwaway virtualenv (pip install isso gunicorn) ...", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(venv / "bin" / "pip"), "install", "-q", "isso", "gunicorn"], check=True)
    python = str(venv / "bin" / "python")
    version = subprocess.run([python, "-c", "import isso; print(isso.__version__)"], capture_output=True,
                             text=True, check=True).stdout.strip()
    print(f"Isso {version}")
    return python


def isso_config(tmp: Path, port: int) -> Path:
    ini = tmp / "isso.ini"
    ini.write_text(f"""[general]
dbpath = {tmp / 'isso.db'}
host = http://127.0.0.1:{port}
[moderation]
enabled = false
[guard]
enabled = false
[server]
listen = http://127.0.0.1:{port}
""")
    return ini


def seed_isso(port: int) -> None:
    """The same thread shape for Isso: 200 comments, half of them replies (Isso nests one level)."""
    import random

    rng = random.Random(0)
    ids: list[int] = []
    for i in range(PAGE_COMMENTS):
        parent = rng.choice(ids) if ids and rng.random() < 0.5 and len(ids) > 3 else None
        body = json.dumps({"text": f"Comment {i} with a link https://example.org/{i} and\ntwo lines.",
                           "author": f"Reader {i}", "email": f"r{i}@example.org", "parent": parent,
                           "title": "Bench"}).encode()
        request = urllib.request.Request(f"http://127.0.0.1:{port}/new?uri=/bench", body,
                                         {"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=30) as response:
            ids.append(json.load(response)["id"])


def stored_isso(tmp: Path) -> list[str]:
    with sqlite3.connect(tmp / "isso.db") as conn:
        return [text for (text,) in conn.execute("SELECT comments.text FROM comments JOIN threads "
                                                  "ON threads.id = comments.tid WHERE threads.uri = '/posts'")]


# --- the run ---------------------------------------------------------------


def ratio(ours: Result, isso: Result) -> str:
    return f"{ours.rps / isso.rps:5.2f}x" if isso.rps else "  n/a"


#: Each flow: (label, wrk script for ours, our path and args, Isso's script, Isso's path and args, connections).
FLOWS = [
    ("POST c=8", "our_post", ("/articles/posts/comments", "c8", "/articles/posts", "/articles/posts/comments"),
     "isso_post", ("/new?uri=/posts", "c8", "/new?uri=/posts"), 8),
    ("POST c=32", "our_post", ("/articles/posts/comments", "c32", "/articles/posts", "/articles/posts/comments"),
     "isso_post", ("/new?uri=/posts", "c32", "/new?uri=/posts"), 32),
    ("page (200)", "get", ("/articles/bench",), "get", ("/?uri=/bench",), 8),
    ("API (200)", "get", ("/api/articles/bench/comments",), "get", ("/?uri=/bench",), 8),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10, help="length of each wrk run")
    parser.add_argument("--isso-venv", type=Path, help="reuse a virtualenv that has isso and gunicorn")
    # gthread is how the README runs the app in production: keep-alive connections, and a
    # worker's threads overlap their waits on the database (2× the posts of sync workers here).
    parser.add_argument("--worker-class", default="gthread", choices=["sync", "gthread"])
    parser.add_argument("--threads", type=int, default=4, help="threads per gthread worker")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is missing: apt-get install wrk")

    backends = [("SQLite", None)]
    if os.environ.get("DATABASE_URL"):
        backends.append(("PostgreSQL", os.environ["DATABASE_URL"]))
    with tempfile.TemporaryDirectory(prefix="load-") as tmp_name:
        tmp = Path(tmp_name)
        scripts = {}
        for name, text in {"our_post": WRK_OUR_POST, "isso_post": WRK_ISSO_POST, "get": WRK_GET}.items():
            scripts[name] = tmp / f"{name}.lua"
            scripts[name].write_text(text)
        isso_port, *our_ports = free_ports(1 + len(backends))
        python = isso_python(tmp, args.isso_venv)
        servers: dict[str, Server] = {}
        try:
            isso_env = {**os.environ, "ISSO_SETTINGS": str(isso_config(tmp, isso_port))}
            servers["Isso"] = Server("isso", gunicorn(python, "isso.run:application", isso_port, args),
                                     isso_env, isso_port, "/info")
            seed_isso(isso_port)
            instances = {}
            for (label, url), port in zip(backends, our_ports, strict=True):
                instances[label] = tmp / f"instance-{label.lower()}"
                prepare_ours(instances[label], url)
                servers[label] = Server(f"ours-{label.lower()}",
                                        gunicorn(sys.executable, "moderation:create_app()", port, args),
                                        our_env(instances[label], url), port, "/articles/bench")
            print(f"\nworkers: 2 × gunicorn {args.worker_class}"
                  + (f" ({args.threads} threads)" if args.worker_class == "gthread" else "")
                  + f" per server, all servers up at once; each flow measured on every server back to back "
                  f"(Isso, then ours); {args.seconds} s per run; load from wrk on 127.0.0.1\n")

            results: dict[str, dict[str, Result]] = {name: {} for name in servers}
            for flow, ours_script, ours_args, isso_script, isso_args, connections in FLOWS:
                for name, server in servers.items():
                    script, (path, *extra) = (isso_script, isso_args) if name == "Isso" else (ours_script, ours_args)
                    if flow.startswith("API") and name == "Isso":
                        results[name][flow] = results[name]["page (200)"]  # Isso has one read: its thread JSON
                        continue
                    results[name][flow] = wrk(scripts[script], f"http://127.0.0.1:{server.port}{path}",
                                              connections, args.seconds, *extra)
                isso = results["Isso"][flow]
                print(f"{flow:<11} Isso        {isso}" + ("   (its thread JSON)" if "200" in flow else ""))
                for label, _ in backends:
                    mine = results[label][flow]
                    print(f"{'':<11} {label:<11} {mine}   ours/Isso {ratio(mine, isso)}")

            print("\nstored against successful posts")
            print(f"  Isso        {check_stored(stored_isso(tmp), post_runs(results['Isso']))}")
            for label, url in backends:
                print(f"  {label:<11} {check_stored(stored_ours(instances[label], url), post_runs(results[label]))}")

            print("\ntargets")
            theirs = results["Isso"]
            for label, _ in backends:
                post, page = results[label]["POST c=8"], results[label]["page (200)"]
                print(f"  {label}: POST c=8 ≥ 2× Isso with p99 ≤ 50 ms: {ratio(post, theirs['POST c=8']).strip()}, "
                      f"p99 {post.p99_ms:.0f} ms -> "
                      + ("met" if post.rps >= 2 * theirs["POST c=8"].rps and post.p99_ms <= 50 else "MISSED"))
                print(f"  {label}: page ≥ 10× Isso's thread: {ratio(page, theirs['page (200)']).strip()} -> "
                      + ("met" if page.rps >= 10 * theirs["page (200)"].rps else "MISSED"))
            if len(backends) == 2:
                for flow, _, _, _, _, _ in FLOWS:
                    lite, pg = results["SQLite"][flow], results["PostgreSQL"][flow]
                    share = pg.rps / lite.rps if lite.rps else 0
                    print(f"  PostgreSQL within 25% of SQLite, {flow}: {share:.0%} -> "
                          + ("met" if share >= 0.75 else "MISSED"))
        finally:
            for server in servers.values():
                server.stop()


def post_runs(results: dict[str, Result]) -> dict[str, Result]:
    """The posting runs by the tag their texts carry."""
    return {"c8": results["POST c=8"], "c32": results["POST c=32"]}


if __name__ == "__main__":
    main()
