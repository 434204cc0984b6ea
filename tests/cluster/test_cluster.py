"""The README's "Running on several machines", followed as written: two app servers, one worker, PostgreSQL, Redis.

Real processes on 127.0.0.1: the section's commands are read from the README
and run by bash from the repository root, in the section's environment with
this test's values for the placeholders (the shared database and Redis, the
secret, two gunicorn workers per server). Each "machine" has its own instance
folder. The test stands for the load balancer: it talks to each server on its
own port and sends ``X-Forwarded-For`` as nginx would, and it stands for the
readers' and the moderator's browsers (one cookie jar each, whichever server
answers). Then it checks each promise of the section: a comment posted
through A is on B's page; a moderator signed in on A acts on B with a form A
showed; a version promoted on A scores on B within 5 s; the rate limit counts
across A and B; a retrain started on A is run by the worker and shows on B's
Model page although A is killed right after; nothing B or the worker accepted
is lost; two mail senders send the digest once.

Runs when PostgreSQL answers on 127.0.0.1:5432 and Redis at TEST_REDIS_URL
(default 127.0.0.1:6379/0), and skips with a notice otherwise. The database
is ``CLUSTER_DATABASE_URL`` (emptied first) or a new one made on the local
server and dropped afterwards.
"""
from __future__ import annotations

import http.client
import json
import os
import random
import re
import secrets
import shlex
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import sqlalchemy as sa

from moderation.config import DEFAULT_MODEL_DIR
from tests.conftest import redis_url
from tests.web.model.test_site_learning import INSULTS, NEUTRAL, site_comments, wxr
from tests.web.sites.test_notifications import free_port, start_smtp

ROOT = Path(__file__).resolve().parents[2]
SECTION = "## Running on several machines"
LOCAL_POSTGRES = "postgresql://postgres@127.0.0.1:5432/postgres"
PASSWORD = "cluster test passphrase"
#: The README's variables this test gives its own values; the others are used as written.
PLACEHOLDERS = {"DATABASE_URL", "REDIS_URL", "MODERATION_SECRET_KEY", "WEB_CONCURRENCY"}
README_VARIABLES = PLACEHOLDERS | {"MODERATION_PROXY_FIX_X_FOR", "MODERATION_SESSION_COOKIE_SECURE",
                                   "MODERATION_REMEMBER_COOKIE_SECURE"}
VARIANT = "20990101-000000-c1c1c1"
CLEAN = "the harbour photos are lovely"
HELD = "The columnist is clueless and should stick to gardening."
INSULT = "you are an idiot and a disgrace"
TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"')
COMMENT_ID = re.compile(r"#comment-(\d+)$")

pytestmark = pytest.mark.cluster


def answers(host: str, port: int) -> bool:
    try:
        socket.create_connection((host, port), timeout=1).close()
        return True
    except OSError:
        return False


def skip_reason() -> str | None:
    if not answers("127.0.0.1", 5432):
        return "NOTICE: no PostgreSQL on 127.0.0.1:5432; cluster test skipped"
    if redis_url() is None:
        return "NOTICE: no Redis (TEST_REDIS_URL, default 127.0.0.1:6379/0); cluster test skipped"
    if not (ROOT / ".venv" / "bin" / "gunicorn").exists():
        return "NOTICE: the README's commands run .venv/bin/...; no .venv in the checkout; cluster test skipped"
    return None


# --- the README section ---------------------------------------------------------------


def section() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index(SECTION)
    end = text.find("\n## ", start + len(SECTION))
    return text[start:end]


def commands(text: str) -> list[list[str]]:
    """The section's ``sh`` blocks, each as its command lines."""
    return [[line.strip() for line in block.splitlines() if line.strip() and not line.startswith("#")]
            for block in re.findall(r"```sh\n(.*?)```", text, flags=re.S)]


def block_with(blocks: list[list[str]], word: str) -> list[str]:
    [block] = [b for b in blocks if any(word in line for line in b)]
    return block


def exported(block: list[str]) -> dict[str, str]:
    variables: dict[str, str] = {}
    for line in block:
        words = shlex.split(line)
        assert words[0] == "export", line
        variables.update(word.split("=", 1) for word in words[1:])
    return variables


# --- machines, servers, browsers --------------------------------------------------------


@dataclass
class Command:
    line: str
    process: subprocess.Popen[bytes]

    def finish(self, timeout: float = 120) -> str:
        output, _ = self.process.communicate(timeout=timeout)
        assert self.process.returncode == 0, f"{self.line}\n{output.decode(errors='replace')}"
        return output.decode(errors="replace")


@dataclass
class Machine:
    """One machine of the cluster: its environment (the README's, plus its own instance folder)."""

    name: str
    env: dict[str, str]
    logs: Path
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def run(self, line: str, stdin: str = "") -> str:
        return self.begin(line, stdin).finish()

    def begin(self, line: str, stdin: str = "") -> Command:
        """Start a command that ends by itself, to wait for it later (several run at once, as an operator's would)."""
        with tempfile.TemporaryFile() as given:
            given.write(stdin.encode())
            given.seek(0)
            process = subprocess.Popen(["bash", "-c", line], cwd=ROOT, env=self.env, stdin=given,
                                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        return Command(f"{self.name}: {line}", process)

    def start(self, line: str, label: str) -> subprocess.Popen[bytes]:
        log = open(self.logs / f"{self.name}-{label}.log", "wb")  # noqa: SIM115 (closed with the process)
        process = subprocess.Popen(["bash", "-c", f"exec {line}"], cwd=ROOT, env=self.env, stdin=subprocess.DEVNULL,
                                   stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        self.processes.append(process)
        return process

    def kill(self, sig: int = signal.SIGKILL) -> None:
        for process in self.processes:
            try:
                os.killpg(process.pid, sig)
            except ProcessLookupError:
                pass


@dataclass
class Response:
    status: int
    location: str
    text: str


class Browser:
    """One reader's or moderator's browser: its cookies and address, sent to whichever server the balancer picks."""

    def __init__(self, address: str) -> None:
        self.address = address
        self.cookies: dict[str, str] = {}

    def request(self, port: int, method: str, path: str, form: dict[str, str] | None = None) -> Response:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        headers = {"X-Forwarded-For": self.address, "Host": "comments.example.org"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        conn.request(method, path, body=body, headers=headers)
        raw = conn.getresponse()
        for cookie in raw.headers.get_all("Set-Cookie") or []:
            name, _, rest = cookie.partition("=")
            value = rest.split(";", 1)[0]
            if value and "1970" not in cookie:
                self.cookies[name] = value
            else:
                self.cookies.pop(name, None)
        response = Response(raw.status, raw.headers.get("Location", ""), raw.read().decode("utf-8", "replace"))
        conn.close()
        return response

    def get(self, port: int, path: str) -> Response:
        return self.request(port, "GET", path)

    def submit(self, port: int, path: str, form: dict[str, str], page: str | None = None,
               page_port: int | None = None) -> Response:
        """Post a form with the CSRF token of ``page`` (default: the same path) as shown by ``page_port``."""
        html = self.get(page_port or port, page or path).text
        match = TOKEN.search(html)
        assert match, f"no CSRF token on {page or path}"
        return self.request(port, "POST", path, {**form, "csrf_token": match.group(1) or match.group(2)})


def post_comment(reader: Browser, port: int, slug: str, text: str, accepted: list[int]) -> Response:
    response = reader.submit(port, f"/articles/{slug}/comments",
                             {"comment": text, "author": "Reader", "email": f"{secrets.token_hex(3)}@example.org",
                              "url": ""}, page=f"/articles/{slug}")
    if response.status == 302:
        match = COMMENT_ID.search(response.location)
        assert match, response.location
        accepted.append(int(match.group(1)))
    return response


def wait_for(what: str, check, timeout: float, every: float = 0.5):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


def serving(port: int, process: subprocess.Popen[bytes]) -> bool:
    assert process.poll() is None, f"the server on port {port} exited"
    try:
        return Browser("192.0.2.1").get(port, "/").status == 200
    except OSError:
        return False


# --- the shared services ------------------------------------------------------------------


@pytest.fixture
def database() -> Iterator[str]:
    given = os.environ.get("CLUSTER_DATABASE_URL")
    if given:
        engine = sa.create_engine(given.replace("postgresql://", "postgresql+psycopg://", 1))
        with engine.begin() as conn:  # from scratch
            conn.execute(sa.text("DROP SCHEMA public CASCADE"))
            conn.execute(sa.text("CREATE SCHEMA public"))
        engine.dispose()
        yield given
        return
    name = f"moderation_cluster_{secrets.token_hex(4)}"
    admin = sa.create_engine(LOCAL_POSTGRES.replace("postgresql://", "postgresql+psycopg://", 1),
                             isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield LOCAL_POSTGRES.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.mark.skipif(skip_reason() is not None, reason=skip_reason() or "")
def test_the_cluster_of_the_readme(tmp_path: Path, database: str) -> None:
    blocks = commands(section())
    settings = exported(block_with(blocks, "export DATABASE_URL"))
    assert set(settings) == README_VARIABLES, "the README's environment changed: update PLACEHOLDERS"
    once = block_with(blocks, "init-db")
    [app_server] = block_with(blocks, "gunicorn")
    [worker] = block_with(blocks, "worker")
    [send_mail] = block_with(blocks, "send-mail")
    assert "--bind 0.0.0.0:8000" in app_server

    redis = redis_url()
    assert redis is not None
    queue, prefix = f"cluster-{secrets.token_hex(4)}", f"cluster-{secrets.token_hex(4)}"
    smtp_port = free_port()
    history = tmp_path / "history.xml"  # the site's past: enough labels for the retrain to learn from
    rng = random.Random(0)
    history.write_bytes(wxr([(t, "1") for t in site_comments(rng, 20, NEUTRAL)]
                            + [(t, "trash") for t in site_comments(rng, 20, INSULTS)]))
    logs = tmp_path / "logs"
    logs.mkdir()
    shared = {k: v for k, v in os.environ.items()
              if not k.startswith("MODERATION_") and k not in {"DATABASE_URL", "REDIS_URL", "WEB_CONCURRENCY"}}
    shared.update(settings)
    shared.update({
        "DATABASE_URL": database, "REDIS_URL": redis, "MODERATION_SECRET_KEY": secrets.token_hex(32),
        "WEB_CONCURRENCY": "2", "PYTHONUNBUFFERED": "1",
        # Test settings, not the README's: this run's own queue and counters in a Redis others may use,
        # and an SMTP sink.
        "MODERATION_RQ_QUEUE": queue, "MODERATION_RATELIMIT_KEY_PREFIX": prefix,
        "MODERATION_BASE_URL": "https://comments.example.org", "MODERATION_MAIL_SERVER": "127.0.0.1",
        "MODERATION_MAIL_PORT": str(smtp_port), "MODERATION_MAIL_FROM": "comments@example.org",
    })

    def machine(name: str) -> Machine:
        return Machine(name, {**shared, "MODERATION_INSTANCE_PATH": str(tmp_path / name / "instance")}, logs)

    a, b, w = machine("a"), machine("b"), machine("w")
    engine = sa.create_engine(database.replace("postgresql://", "postgresql+psycopg://", 1))
    accepted: list[int] = []
    started = time.monotonic()
    smtp, inbox = start_smtp(smtp_port)
    try:
        # Once, from machine A; then the servers and the worker; B is "adding a server": same environment, same command.
        a.run(once[0])
        phases = {"init-db": time.monotonic() - started}
        moderator = a.begin(once[1], stdin=PASSWORD + "\n")
        editor_email = shlex.split(once[1])[4]
        port_a, port_b = free_server_ports(2)
        server_a = a.start(app_server.replace("0.0.0.0:8000", f"127.0.0.1:{port_a}"), "gunicorn")
        server_b = b.start(app_server.replace("0.0.0.0:8000", f"127.0.0.1:{port_b}"), "gunicorn")
        w.start(worker, "worker")
        article = tmp_path / "article.txt"
        article.write_text("Harbour bridge reopens\n\nThe bridge reopened on Monday.\n", encoding="utf-8")
        imported = a.begin(f".venv/bin/flask --app moderation import-article {article}")
        variant = a.begin(f".venv/bin/flask --app moderation models import {variant_folder(tmp_path)}")
        moderator.finish()
        variant.finish()
        a.run(f".venv/bin/flask --app moderation import-comments wxr {history} --labels --rejected-as toxic")
        slug = re.search(r"/articles/(\S+)", imported.finish())[1]
        wait_for("both app servers", lambda: serving(port_a, server_a) and serving(port_b, server_b), 90)
        phases["servers up"] = time.monotonic() - started

        # A comment posted through A is on the page served by B.
        reader = Browser("203.0.113.10")
        assert post_comment(reader, port_a, slug, CLEAN, accepted).status == 302
        assert CLEAN in Browser("203.0.113.11").get(port_b, f"/articles/{slug}").text

        # A moderator signed in on A acts on B, with the form A showed.
        held = post_comment(Browser("203.0.113.12"), port_a, slug, HELD, accepted)
        held_id = accepted[-1]
        assert held.status == 302 and status_of(engine, held_id) == "pending"
        editor = Browser("198.51.100.1")
        assert editor.submit(port_a, "/auth/login", {"email": editor_email, "password": PASSWORD}).status == 302
        queue_on_b = editor.get(port_b, "/moderation/")
        assert queue_on_b.status == 200 and "clueless" in queue_on_b.text
        decided = editor.submit(port_b, f"/moderation/comments/{held_id}/decide",
                                {"action": "approve", "seen_status": "pending"}, page="/moderation/", page_port=port_a)
        assert decided.status == 302 and status_of(engine, held_id) == "published"
        assert HELD in reader.get(port_a, f"/articles/{slug}").text

        # A comment for the digest, then a mail sender on each of A and B.
        assert post_comment(Browser("203.0.113.13"), port_b, slug, INSULT, accepted).status == 302
        assert status_of(engine, accepted[-1]) == "pending"
        a.start(send_mail, "send-mail")
        b.start(send_mail, "send-mail")

        # A version promoted on A scores on B within 5 s.
        promoted = editor.submit(port_a, f"/admin/model/promote/{VARIANT}", {}, page="/admin/model")
        assert promoted.status == 302
        since = time.monotonic()
        n = 0

        def scored_by_variant() -> bool:
            nonlocal n
            n += 1
            post_comment(Browser(f"203.0.113.{100 + n}"), port_b, slug, f"{INSULT}, number {n}", accepted)
            return version_of(engine, accepted[-1]) == VARIANT

        wait_for("B to score with the promoted version", scored_by_variant, 10, every=0.1)
        took = time.monotonic() - since
        assert took < 5, f"B scored with the promoted version after {took:.1f} s"
        assert status_of(engine, accepted[-1]) == "published"  # the variant's lenient toxic threshold

        # The comment rate limit (5 a minute) counts across A and B.
        spammer = Browser("198.51.100.99")
        statuses = [post_comment(spammer, port, slug, f"Post number {i}.", accepted).status
                    for i, port in enumerate([port_a, port_b, port_a, port_b, port_a, port_b])]
        assert statuses == [302] * 5 + [429]

        phases["checks before the retrain"] = time.monotonic() - started
        # A retrain started on A, then A killed: the worker runs it, B's Model page shows it, nothing is lost.
        assert editor.submit(port_a, "/admin/retrain", {}, page="/admin/model").status == 302
        assert post_comment(Browser("203.0.113.20"), port_a, slug, "Accepted by A before it died.", accepted).status \
            == 302
        assert post_comment(Browser("203.0.113.21"), port_b, slug, "Accepted by B meanwhile.", accepted).status == 302
        os.killpg(server_a.pid, signal.SIGKILL)  # the app server, master and workers; A's mail sender goes on
        server_a.wait(10)
        assert post_comment(Browser("203.0.113.22"), port_b, slug, "Accepted by B after A died.", accepted).status \
            == 302
        job = wait_for("the worker to finish the training job", lambda: finished_job(engine), 150, every=1)
        assert job.state == "succeeded", job.message
        phases["retrain done"] = time.monotonic() - started
        model_page = editor.get(port_b, "/admin/model").text
        assert f"Candidate {job.candidate_version}" in model_page
        with engine.connect() as conn:
            stored = conn.execute(sa.text("SELECT id FROM comments WHERE id NOT IN (SELECT comment_id FROM "
                                          "imported_comments) ORDER BY id")).scalars().all()
        assert stored == sorted(accepted) and len(set(accepted)) == len(accepted)
        page_b = Browser("203.0.113.23").get(port_b, f"/articles/{slug}").text
        assert "Accepted by A before it died." in page_b and "Accepted by B after A died." in page_b

        # The digest went out once, though two senders ran (their rounds every 30 s: two each by now).
        wait_for("the digest", lambda: inbox.messages, 30)
        time.sleep(2)
        digests = [m for m in inbox.messages if "waiting for moderation" in m["Subject"]]
        assert [m["To"] for m in digests] == [editor_email]
        assert INSULT in digests[0].get_content()
        phases["all"] = time.monotonic() - started
        print(f"cluster test: {len(accepted)} comments accepted, promotion on A scored on B after {took:.1f} s; "
              + ", ".join(f"{name} at {at:.0f} s" for name, at in phases.items()))
    except BaseException:
        for log in sorted(logs.iterdir()):
            print(f"--- {log.name} (last lines)\n" + "\n".join(log.read_text(errors="replace").splitlines()[-30:]))
        raise
    finally:
        for m in (a, b, w):
            m.kill(signal.SIGTERM)
        time.sleep(1)
        for m in (a, b, w):
            m.kill(signal.SIGKILL)
            for process in m.processes:
                process.wait(10)
        smtp.stop()
        engine.dispose()
        clean_redis(redis, queue, prefix)


def free_server_ports(count: int) -> list[int]:
    """Ports set aside for servers under test (5670-5689), else any free ones; all different."""
    held: list[socket.socket] = []
    try:
        for port in [*range(5670, 5690), *[0] * count]:
            if len(held) == count:
                break
            s = socket.socket()
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                s.close()
                continue
            held.append(s)
        assert len(held) == count, "no free ports"
        return [s.getsockname()[1] for s in held]
    finally:
        for s in held:
            s.close()


def variant_folder(tmp_path: Path) -> Path:
    """The shipped model under another name with a lenient toxic threshold, as ``models export`` writes a version."""
    shipped = sorted(p for p in DEFAULT_MODEL_DIR.iterdir() if p.is_dir())[-1]
    folder = tmp_path / "export" / VARIANT
    shutil.copytree(shipped, folder)
    card = json.loads((folder / "card.json").read_text())
    card.update(version=VARIANT, parent=shipped.name, created="2099-01-01T00:00:00+00:00")
    card["thresholds"]["toxic"] = {"review": 1.01, "high": 1.01}
    (folder / "card.json").write_text(json.dumps(card))
    return folder


def status_of(engine: sa.Engine, comment_id: int) -> str:
    with engine.connect() as conn:
        return conn.execute(sa.text("SELECT status FROM comments WHERE id = :id"), {"id": comment_id}).scalar_one()


def version_of(engine: sa.Engine, comment_id: int) -> str | None:
    with engine.connect() as conn:
        return conn.execute(sa.text("SELECT model_version FROM comments WHERE id = :id"),
                            {"id": comment_id}).scalar_one()


def finished_job(engine: sa.Engine):
    with engine.connect() as conn:
        job = conn.execute(sa.text("SELECT state, message, candidate_version FROM training_jobs "
                                   "ORDER BY id DESC LIMIT 1")).one_or_none()
    return job if job is not None and job.state not in ("queued", "running") else None


def clean_redis(url: str, queue: str, prefix: str) -> None:
    import redis

    client = redis.Redis.from_url(url)
    for pattern in (f"*{queue}*", f"*{prefix}*"):
        for key in client.scan_iter(pattern):
            client.delete(key)
