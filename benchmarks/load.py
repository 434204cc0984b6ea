"""Load under a traffic spike: our app and Isso under the same gunicorn, driven side by side from 127.0.0.1.

Every server first takes 3 s of posts, not reported (our workers load the model
at their first post). Then flows, each measured for both servers in the same run:
  (a) a reader posting a comment: ours through the full form path (the CSRF
      token and session cookie taken from the article page once per connection,
      then POSTs), Isso its ``POST /new?uri=``; at concurrency 8 and 32;
  (b) reading a thread of 200 published comments (threaded, some replies): our
      article page against Isso's thread JSON (``GET /?uri=``);
  (c) our JSON API read of the same thread (``/api/articles/SLUG/comments``)
      against the same Isso JSON;
  (d) the posts of (a) arriving at a fixed rate (``--rate`` posts/s for
      ``--rate-seconds``), whatever the server's pace, under another article
      (a story breaking now): the thousands of posts of (a) make their
      article's page count slower to find for every post after them.
Printed per flow: requests/s, p50, p99, errors and the ours/Isso ratio; for
(d) also p99.9 and max. At the end, the comments stored are counted against
the successful posts, and the after-response work our app left (its
``follow_ups`` table) is finished by ``flask follow-ups sweep`` and checked.

``--floor`` also runs the stack floor (``floor_app.py``: a bare Flask-WTF form
and one SQLAlchemy insert, same gunicorn, same database) per backend, in the
warm-up and the POST c=8 run only: the ceiling our ratio to Isso can be read against.

(a) to (c) are closed loops, driven by ``wrk`` (Debian's package; ``apt-get
install wrk``), not a Python client: on a 2-core machine the generator
competes with the servers for CPU, and wrk spends a few microseconds per
request where an asyncio client spends a few hundred, so the figures are the
servers' and not the client's. Its Lua hooks do what a reader does: each wrk
thread drives one connection (``-t`` = ``-c``), fetches the page once for its
CSRF token and cookie, and posts unique texts (the duplicate check would
refuse repeats). A closed loop saturates the server, so its p99 is the time a
post waits in the queue at full load.

(d) is an open loop, which tells what a reader waits at a given traffic: post
i is due at t0 + i/rate and sent then on a free keep-alive connection of a
pool (a new one when every connection is busy), so a slow answer does not
delay the next arrival; its latency runs from the due time to the end of the
answer, so time queued behind a slow server counts (no coordinated omission).
Its client is asyncio speaking HTTP/1.1 itself: at a fixed 100 posts/s it
spends a few percent of a core, and it does not have to keep up with the server.

Our app runs on SQLite in a temporary instance folder and, when DATABASE_URL
is set, a second time on that PostgreSQL database, which it EMPTIES (drops
and recreates every table): point it at a scratch database. Isso is
pip-installed into a throwaway virtualenv under the temporary folder (or
``--isso-venv DIR`` to reuse one). Rate limits are off. Every server listens on
127.0.0.1 only, and every run is bounded by ``--seconds`` (``--rate-seconds``).

    .venv/bin/python benchmarks/load.py [--seconds 10] [--rate 100 --rate-seconds 60]
        [--worker-class sync|gthread] [--threads 4] [--isso-venv DIR] [--floor]
"""
from __future__ import annotations

import argparse
import asyncio
import json
import math
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
from urllib.parse import urlencode

import common  # noqa: F401  (puts the repository root on sys.path)
import sqlalchemy as sa
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
    #: (reader, post number) of every request that got its success answer; a reader is a wrk thread
    #: or a connection of the fixed-rate pool.
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
            f"{len(maybe)} posts left unanswered (in flight at the end of a run): {verdict}")


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
            db.session.add(Article(slug="spike", title="A story breaking now", body="Readers post below."))
            db.session.commit()
            db.engine.dispose()
    finally:
        os.environ.clear()
        os.environ.update(saved)


def our_engine(instance: Path, database_url: str | None) -> sa.Engine:
    """The database the server used: the instance folder's SQLite file, or DATABASE_URL."""
    from moderation.config import database_url as resolve

    return sa.create_engine(resolve(database_url, instance))


def stored_ours(instance: Path, database_url: str | None) -> list[str]:
    engine = our_engine(instance, database_url)
    with engine.connect() as conn:
        texts = conn.execute(sa.text(
            "SELECT comments.text FROM comments JOIN articles ON articles.id = comments.article_id "
            "WHERE articles.slug IN ('posts', 'spike')")).scalars().all()
    engine.dispose()
    return list(texts)


def follow_ups(label: str, instance: Path, database_url: str | None) -> str:
    """The after-response work the runs left (rows of ``follow_ups``) is all done by the sweep command,
    and every posted comment has the signature that work writes. Skipped where the table is not there
    yet, so the script runs before and after the app records its follow-ups."""
    engine = our_engine(instance, database_url)
    try:
        if not sa.inspect(engine).has_table("follow_ups"):
            return f"{label}: follow-ups: table not present (skipped)"
        with engine.connect() as conn:
            before = conn.execute(sa.text("SELECT count(*) FROM follow_ups")).scalar_one()
        subprocess.run([sys.executable, "-m", "flask", "--app", "moderation", "follow-ups", "sweep"],
                       env=our_env(instance, database_url), cwd=ROOT, check=True, stdout=subprocess.DEVNULL,
                       timeout=600)
        with engine.connect() as conn:
            after = conn.execute(sa.text("SELECT count(*) FROM follow_ups")).scalar_one()
            comments, signed = conn.execute(sa.text(
                "SELECT count(*), count(comment_signatures.comment_id) FROM comments "
                "JOIN articles ON articles.id = comments.article_id "
                "LEFT JOIN comment_signatures ON comment_signatures.comment_id = comments.id "
                "WHERE articles.slug IN ('posts', 'spike')")).one()
    finally:
        engine.dispose()
    verdict = "met" if after == 0 and signed == comments else "MISSED"
    return (f"{label}: follow-ups left after the runs {before}, after the sweep {after}; "
            f"signatures for {signed} of {comments} comments -> {verdict}")


# --- the stack floor -------------------------------------------------------

#: Its servers' names start so; they run the warm-up and POST c=8 only.
FLOOR = "floor "


def floor_url(tmp: Path, database_url: str | None) -> str:
    """The floor's database: its own SQLite file in the run's temporary folder, or our PostgreSQL database
    (its own table there)."""
    from moderation.config import database_url as resolve

    return resolve(database_url, tmp) if database_url else f"sqlite:///{tmp / 'floor.sqlite3'}"


def prepare_floor(url: str) -> None:
    """An empty ``floor_comments`` table, made here so the two workers find it rather than race to create it."""
    import floor_app

    app = floor_app.create_app(url)
    with app.app_context():
        floor_app.db.drop_all()
        floor_app.db.create_all()
        floor_app.db.engine.dispose()


def floor_env(url: str) -> dict[str, str]:
    return {**os.environ, "FLOOR_DATABASE_URL": url, "PYTHONPATH": str(ROOT / "benchmarks")}


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
                                                  "ON threads.id = comments.tid WHERE threads.uri IN ('/posts', '/spike')")]


# --- the fixed-rate run ----------------------------------------------------

#: Readers ready before the first post (ours holding their form's token); a reader connects when it
#: first sends, and one more reader joins whenever every one is busy.
RATE_POOL = 64
#: gunicorn closes a keep-alive connection idle for 2 s (its --keep-alive default): one idle for
#: longer than this is reopened rather than raced against that close.
IDLE_REOPEN_S = 1.0
#: A post with no answer this long after its due time is unanswered (wrk's --timeout in the other runs).
RATE_TIMEOUT_S = 10.0
RATE_TAG = "rate"
CSRF_INPUT = re.compile(rb'name="csrf_token" type="hidden" value="([^"]+)"')


@dataclass
class RateResult(Result):
    """A fixed-rate run's figures: the tail past p99 is where a stall under steady traffic shows."""

    p999_ms: float
    max_ms: float

    def __str__(self) -> str:
        return (f"{self.rps:7.1f}/s  p50 {self.p50_ms:6.1f} ms  p99 {self.p99_ms:6.1f} ms  "
                f"p99.9 {self.p999_ms:6.1f} ms  max {self.max_ms:6.1f} ms  errors {self.errors}")


@dataclass
class Target:
    """Where a reader posts: ours through the form whose token and cookie ``form_page`` gives, Isso as JSON."""

    port: int
    path: str
    form_page: str | None = None

    def post(self, reader: Reader, number: int) -> tuple[dict[str, str], bytes]:
        """The headers and body of the reader's post, its text unique as in the wrk scripts."""
        text = f"Load {RATE_TAG} reader {reader.number} comment {number} about the harbour bridge closure."
        author, email = f"Reader {reader.number}", f"reader{reader.number}@example.org"
        if self.form_page is None:
            body = {"text": text, "author": author, "email": email, "title": "Bench"}
            return {"Content-Type": "application/json"}, json.dumps(body).encode()
        form = {"comment": text, "author": author, "email": email, "url": "", "comment_parent": "",
                "csrf_token": reader.token}
        return ({"Content-Type": "application/x-www-form-urlencoded", "Cookie": reader.cookie},
                urlencode(form).encode())

    def succeeded(self, status: int) -> bool:
        """Ours redirects back to the article; Isso answers 201, or 202 when it holds a comment."""
        return status == 302 if self.form_page else status in (201, 202)


async def read_response(stream: asyncio.StreamReader) -> tuple[int, dict[str, str], bytes]:
    """One HTTP/1.1 answer: its status, its headers (the first of each name, lower-cased) and its body."""
    status = int((await stream.readuntil(b"\r\n")).split()[1])
    headers: dict[str, str] = {}
    while (line := await stream.readuntil(b"\r\n")) != b"\r\n":
        name, _, value = line.decode("latin-1").partition(":")
        headers.setdefault(name.strip().lower(), value.strip())
    if "content-length" in headers:
        return status, headers, await stream.readexactly(int(headers["content-length"]))
    if headers.get("transfer-encoding", "").lower() == "chunked":
        body = b""
        while size := int((await stream.readuntil(b"\r\n")).split(b";")[0], 16):
            body += (await stream.readexactly(size + 2))[:-2]
        await stream.readuntil(b"\r\n")  # the empty trailer
        return status, headers, body
    headers["connection"] = "close"  # the body ends where the server closes
    return status, headers, await stream.read()


class Reader:
    """One reader of the pool: a keep-alive connection, reopened when the server closed it, and for
    ours the session cookie and CSRF token the form gave it, which outlive the connection."""

    def __init__(self, number: int, target: Target) -> None:
        self.number, self.target = number, target
        self.streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None
        self.idle_since = 0.0
        self.token = self.cookie = ""

    async def prepare(self) -> None:
        """For ours, take the token and cookie from the form once (not a measured request).

        Nothing else is opened ahead: gunicorn's gthread worker gives a new connection a thread
        until its first request comes, so connections opened idle would hold every thread."""
        if self.target.form_page is None or self.token:
            return
        _, headers, page = await self.exchange(f"GET {self.target.form_page}", {}, b"")
        found = CSRF_INPUT.search(page)
        if found is None:
            raise ValueError(f"no CSRF token on {self.target.form_page}")
        self.token, self.cookie = found.group(1).decode(), headers.get("set-cookie", "").split(";")[0]

    async def send(self, number: int) -> int:
        """Post the reader's ``number``-th text and return the status."""
        headers, body = self.target.post(self, number)
        status, _, _ = await self.exchange(f"POST {self.target.path}", headers, body)
        return status

    async def exchange(self, request: str, headers: dict[str, str], body: bytes) -> tuple[int, dict[str, str], bytes]:
        """One request and its answer on the reader's connection; a broken exchange closes the connection."""
        stream, writer = await self._connected()
        lines = [f"{request} HTTP/1.1", f"Host: 127.0.0.1:{self.target.port}", f"Content-Length: {len(body)}",
                 *(f"{name}: {value}" for name, value in headers.items())]
        try:
            writer.write("\r\n".join(lines).encode("latin-1") + b"\r\n\r\n" + body)
            answer = await read_response(stream)
        except BaseException:  # also a timeout's cancellation: the connection is mid-answer
            self.close()
            raise
        if answer[1].get("connection", "").lower() == "close":  # gunicorn's sync workers close every time
            self.close()
        self.idle_since = asyncio.get_running_loop().time()
        return answer

    async def _connected(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        """The open connection, or a new one if the server closed it or is about to (idle too long)."""
        idle = asyncio.get_running_loop().time() - self.idle_since
        if self.streams is not None and (self.streams[0].at_eof() or idle > IDLE_REOPEN_S):
            self.close()
        if self.streams is None:
            self.streams = await asyncio.open_connection("127.0.0.1", self.target.port)
            self.idle_since = asyncio.get_running_loop().time()
        return self.streams

    def close(self) -> None:
        if self.streams is not None:
            self.streams[1].close()
            self.streams = None


def percentile(ordered: list[float], q: float) -> float:
    """Nearest rank: the least latency that q% of the answers did not exceed."""
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)] if ordered else 0.0


async def fixed_rate(target: Target, rate: float, seconds: int) -> RateResult:
    """Posts due at t0 + i/rate, each sent on a free reader when due and timed from then (the open loop)."""
    loop = asyncio.get_running_loop()
    pool = [Reader(n, target) for n in range(1, RATE_POOL + 1)]
    await asyncio.gather(*(reader.prepare() for reader in pool))
    free = pool[::-1]  # a stack: the last freed goes next, so the few readers in use stay warm
    latencies: list[float] = []
    successes: set[tuple[int, int]] = set()
    unanswered: set[tuple[int, int]] = set()
    t0 = last = loop.time()

    async def post(reader: Reader, number: int, due: float) -> None:
        """One post on its reader; no answer before the timeout, or a broken connection, leaves it unanswered."""
        nonlocal last
        try:
            async with asyncio.timeout_at(due + RATE_TIMEOUT_S):
                await reader.prepare()  # a reader opened during the run first takes its form
                status = await reader.send(number)
        except (OSError, EOFError, TimeoutError, ValueError):
            unanswered.add((reader.number, number))
        else:
            last = loop.time()
            latencies.append((last - due) * 1000)
            if target.succeeded(status):
                successes.add((reader.number, number))
        free.append(reader)

    tasks = set()
    for i in range(round(rate * seconds)):
        due = t0 + i / rate
        await asyncio.sleep(due - loop.time())
        if not free:
            free.append(Reader(len(pool) + 1, target))
            pool.append(free[-1])
        tasks.add(asyncio.create_task(post(free.pop(), i + 1, due)))
    await asyncio.gather(*tasks)
    for reader in pool:
        reader.close()
    latencies.sort()
    return RateResult(rps=len(latencies) / (last - t0) if latencies else 0.0, p50_ms=percentile(latencies, 50),
                      p99_ms=percentile(latencies, 99), p999_ms=percentile(latencies, 99.9),
                      max_ms=latencies[-1] if latencies else 0.0,
                      errors=len(latencies) - len(successes) + len(unanswered),  # refused, and unanswered
                      successes=successes, unanswered=unanswered)


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

WARM_UP = "warm-up"
WARM_SECONDS = 3

#: The issue's targets: POST c=8 against Isso's per backend, with its p99; the page against Isso's
#: thread; the p99 of posts arriving at a fixed rate.
POST_TARGETS = {"SQLite": 1.5, "PostgreSQL": 1.0}
POST_P99_MS = 50
PAGE_TARGET = 20
RATE_P99_MS = 25


def print_flow(flow: str, results: dict[str, dict[str, Result]], labels: list[str], note: str = "") -> None:
    """A flow's lines: Isso's figures, then each of our backends' with its ratio to Isso's, then the
    floor's where it ran this flow, with its ratio to Isso's and ours to it."""
    width = max(11, *map(len, results))  # wider only when a floor's name is there
    isso = results["Isso"][flow]
    print(f"{flow:<11} {'Isso':<{width}} {isso}{note}")
    for label in labels:
        mine = results[label][flow]
        print(f"{'':<11} {label:<{width}} {mine}   ours/Isso {ratio(mine, isso)}")
    for label in labels:
        if flow in (floor := results.get(FLOOR + label, {})):
            print(f"{'':<11} {FLOOR + label:<{width}} {floor[flow]}   floor/Isso {ratio(floor[flow], isso)}"
                  f"   ours/floor {ratio(results[label][flow], floor[flow])}")


def run_rate(servers: dict[str, Server], rate: float, seconds: int) -> dict[str, RateResult]:
    """The fixed-rate run on every server, one after another as the wrk runs are, under the "spike" article."""
    results = {}
    for name, server in servers.items():
        if name.startswith(FLOOR):
            continue
        target = (Target(server.port, "/new?uri=/spike") if name == "Isso"
                  else Target(server.port, "/articles/spike/comments", "/articles/spike"))
        results[name] = asyncio.run(fixed_rate(target, rate, seconds))
    return results


def print_targets(results: dict[str, dict[str, Result]], labels: list[str], rate_flow: str, rate: float) -> None:
    """Each target met or missed, per backend, with the figure it was judged on."""
    theirs = results["Isso"]
    for label in labels:
        post, page, steady = results[label]["POST c=8"], results[label]["page (200)"], results[label][rate_flow]
        need = POST_TARGETS[label]
        print(f"  {label}: POST c=8 ≥ {need:.1f}× Isso with p99 ≤ {POST_P99_MS} ms: "
              f"{ratio(post, theirs['POST c=8']).strip()}, p99 {post.p99_ms:.0f} ms -> "
              + ("met" if post.rps >= need * theirs["POST c=8"].rps and post.p99_ms <= POST_P99_MS else "MISSED"))
        print(f"  {label}: page ≥ {PAGE_TARGET}× Isso's thread: {ratio(page, theirs['page (200)']).strip()} -> "
              + ("met" if page.rps >= PAGE_TARGET * theirs["page (200)"].rps else "MISSED"))
        # A post that got no answer has no latency to count in the p99, so the target also asks for no errors.
        steady_met = steady.p99_ms <= RATE_P99_MS and not steady.errors
        print(f"  {label}: at {rate:g} posts/s fixed rate, p99 ≤ {RATE_P99_MS} ms: p99 {steady.p99_ms:.0f} ms, "
              f"{steady.errors} errors -> " + ("met" if steady_met else "MISSED"))
    if len(labels) == 2:
        for flow, _, _, _, _, _ in FLOWS:
            lite, pg = results["SQLite"][flow], results["PostgreSQL"][flow]
            share = pg.rps / lite.rps if lite.rps else 0
            print(f"  PostgreSQL within 25% of SQLite, {flow}: {share:.0%} -> "
                  + ("met" if share >= 0.75 else "MISSED"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10, help="length of each wrk run")
    parser.add_argument("--rate", type=float, default=100, help="posts per second of the fixed-rate run")
    parser.add_argument("--rate-seconds", type=int, default=60, help="length of the fixed-rate run")
    parser.add_argument("--isso-venv", type=Path, help="reuse a virtualenv that has isso and gunicorn")
    # gthread is how the README runs the app in production: keep-alive connections, and a
    # worker's threads overlap their waits on the database (2× the posts of sync workers here).
    parser.add_argument("--worker-class", default="gthread", choices=["sync", "gthread"])
    parser.add_argument("--threads", type=int, default=4, help="threads per gthread worker")
    parser.add_argument("--floor", action="store_true",
                        help="also run the stack floor (floor_app.py) per backend, on POST c=8 only")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is missing: apt-get install wrk")

    backends = [("SQLite", None)]
    if os.environ.get("DATABASE_URL"):
        backends.append(("PostgreSQL", os.environ["DATABASE_URL"]))
    labels = [label for label, _ in backends]
    rate_flow = f"POST {args.rate:g}/s"
    with tempfile.TemporaryDirectory(prefix="load-") as tmp_name:
        tmp = Path(tmp_name)
        scripts = {}
        for name, text in {"our_post": WRK_OUR_POST, "isso_post": WRK_ISSO_POST, "get": WRK_GET}.items():
            scripts[name] = tmp / f"{name}.lua"
            scripts[name].write_text(text)
        isso_port, *ports = free_ports(1 + len(backends) * (2 if args.floor else 1))
        our_ports, floor_ports = ports[:len(backends)], ports[len(backends):]
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
            for (label, url), port in zip(backends if args.floor else [], floor_ports, strict=True):
                prepare_floor(floor := floor_url(tmp, url))
                servers[FLOOR + label] = Server(f"floor-{label.lower()}",
                                                gunicorn(sys.executable, "floor_app:create_app()", port, args),
                                                floor_env(floor), port, "/articles/bench")
            print(f"\nworkers: 2 × gunicorn {args.worker_class}"
                  + (f" ({args.threads} threads)" if args.worker_class == "gthread" else "")
                  + f" per server, all servers up at once; each flow measured on every server back to back "
                  f"(Isso, then ours{', then the floor on POST c=8' if args.floor else ''}); "
                  f"{args.seconds} s per run; load from wrk on 127.0.0.1, then "
                  f"{args.rate:g} posts/s for {args.rate_seconds} s from an asyncio client (open loop)\n")

            results: dict[str, dict[str, Result]] = {name: {} for name in servers}
            warm_up(servers, scripts, results)
            for flow, ours_script, ours_args, isso_script, isso_args, connections in FLOWS:
                for name, server in servers.items():
                    if name.startswith(FLOOR) and flow != "POST c=8":
                        continue
                    script, (path, *extra) = (isso_script, isso_args) if name == "Isso" else (ours_script, ours_args)
                    if flow.startswith("API") and name == "Isso":
                        results[name][flow] = results[name]["page (200)"]  # Isso has one read: its thread JSON
                        continue
                    results[name][flow] = wrk(scripts[script], f"http://127.0.0.1:{server.port}{path}",
                                              connections, args.seconds, *extra)
                print_flow(flow, results, labels, "   (its thread JSON)" if "200" in flow else "")
            for name, result in run_rate(servers, args.rate, args.rate_seconds).items():
                results[name][rate_flow] = result
            print_flow(rate_flow, results, labels)
            for server in servers.values():
                server.stop()  # gracefully: what a worker has taken on is finished, follow-ups included

            print("\nstored against successful posts")
            print(f"  Isso        {check_stored(stored_isso(tmp), post_runs(results['Isso'], rate_flow))}")
            for label, url in backends:
                stored = stored_ours(instances[label], url)
                print(f"  {label:<11} {check_stored(stored, post_runs(results[label], rate_flow))}")

            print("\nafter-response work")
            for label, url in backends:
                print(f"  {follow_ups(label, instances[label], url)}")

            print("\ntargets")
            print_targets(results, labels, rate_flow, args.rate)
        finally:
            for server in servers.values():
                server.stop()


def warm_up(servers: dict[str, Server], scripts: dict[str, Path], results: dict[str, dict[str, Result]]) -> None:
    """A short posting run on every server, not reported: the figures are of servers already running.

    Each of our workers loads the model at its first post (about a second), and
    that wait landed in the first measured run's p99 (500 ms at c=8 against 59 ms
    once warm); Isso's workers warm their caches the same way.
    """
    for name, server in servers.items():
        if name == "Isso":
            script, path, extra = scripts["isso_post"], "/new?uri=/posts", ("warm", "/new?uri=/posts")
        else:
            script, path = scripts["our_post"], "/articles/posts/comments"
            extra = ("warm", "/articles/posts", "/articles/posts/comments")
        results[name][WARM_UP] = wrk(script, f"http://127.0.0.1:{server.port}{path}", 8, WARM_SECONDS, *extra)


def post_runs(results: dict[str, Result], rate_flow: str) -> dict[str, Result]:
    """The posting runs by the tag their texts carry."""
    return {"warm": results[WARM_UP], "c8": results["POST c=8"], "c32": results["POST c=32"],
            RATE_TAG: results[rate_flow]}


if __name__ == "__main__":
    main()
