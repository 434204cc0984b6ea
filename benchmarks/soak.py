"""Soak: our app under gunicorn (2 workers) for 10 minutes of steady mixed reads and posts, and each worker's memory.

Readers ask for the 200-comment article page and its JSON API and post
comments (the full form path, CSRF token included) at a fixed rate from a few
threads on 127.0.0.1. Each worker's resident memory (VmRSS) is printed after a
warm-up (every code path loaded, the model too), once a minute, and at the end;
the target is growth under 10%. Posts go to their own article, so the page read
stays at 200 comments while the database grows. At the end the stored
comments are counted against the successful posts.

SQLite in a temporary instance folder, or DATABASE_URL (a scratch database:
it is emptied, as in load.py). Bounded: ``--minutes`` (default 10).

    .venv/bin/python benchmarks/soak.py [--minutes 10] [--reads 20] [--posts 2]
"""
from __future__ import annotations

import argparse
import http.client
import os
import re
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

from load import Server, free_ports, gunicorn, our_env, prepare_ours, stored_ours

TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


class Reader:
    """A browser: its session cookie and CSRF token from the page, then reads and posts."""

    def __init__(self, port: int, number: int) -> None:
        self.port, self.number, self.sent = port, number, 0
        status, headers, html = self.request("GET", "/articles/posts")
        self.cookie = (headers.get("Set-Cookie") or "").split(";")[0]
        self.token = TOKEN.search(html).group(1)  # type: ignore[union-attr]

    def request(self, method: str, path: str, body: str | None = None) -> tuple[int, dict[str, str], str]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        headers = {"Content-Type": "application/x-www-form-urlencoded"} if body else {}
        if getattr(self, "cookie", None):
            headers["Cookie"] = self.cookie
        try:
            conn.request(method, path, body, headers)
            response = conn.getresponse()
            return response.status, dict(response.getheaders()), response.read().decode()
        finally:
            conn.close()

    def post(self) -> bool:
        self.sent += 1
        body = urllib.parse.urlencode({
            "comment": f"Soak reader {self.number} comment {self.sent} on the harbour bridge.",
            "author": f"Reader {self.number}", "email": f"soak{self.number}@example.org", "csrf_token": self.token})
        return self.request("POST", "/articles/posts/comments", body)[0] == 302


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--reads", type=float, default=20.0, help="page and API reads per second, together")
    parser.add_argument("--posts", type=float, default=2.0, help="posts per second")
    parser.add_argument("--worker-class", default="sync", choices=["sync", "gthread"])
    parser.add_argument("--threads", type=int, default=4, help="threads per gthread worker")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="soak-") as tmp:
        instance = Path(tmp) / "instance"
        url = os.environ.get("DATABASE_URL")
        prepare_ours(instance, url)
        (port,) = free_ports(1)
        server = Server("soak", gunicorn(sys.executable, "moderation:create_app()", port, args),
                        our_env(instance, url), port, "/articles/bench")
        try:
            readers = [Reader(port, i) for i in range(4)]
            counts = {"reads": 0, "read_errors": 0, "posts": 0, "post_errors": 0}
            lock = threading.Lock()

            def read(reader: Reader, n: int) -> None:
                path = "/articles/bench" if n % 2 else "/api/articles/bench/comments"
                ok = reader.request("GET", path)[0] == 200
                with lock:
                    counts["reads" if ok else "read_errors"] += 1

            def post(reader: Reader) -> None:
                ok = reader.post()
                with lock:
                    counts["posts" if ok else "post_errors"] += 1

            for n in range(40):  # warm-up: every worker has served every path, scored with the model
                read(readers[n % 4], n)
                if n % 4 == 0:
                    post(readers[n % 4])
            workers = server.workers()
            start = {pid: rss_kib(pid) for pid in workers}
            print(f"{len(workers)} workers; after warm-up: "
                  + ", ".join(f"pid {pid} {kib / 1024:.1f} MiB" for pid, kib in start.items()), flush=True)

            stop_at = time.monotonic() + args.minutes * 60
            per_reader_reads = args.reads / len(readers)
            per_reader_posts = args.posts / len(readers)

            def steady(reader: Reader) -> None:
                """Fixed-rate schedule: a slow answer delays the next request; none are bunched up to catch up."""
                n, next_read, next_post = 0, time.monotonic(), time.monotonic()
                while (now := time.monotonic()) < stop_at:
                    if now >= next_post and per_reader_posts:
                        post(reader)
                        next_post = max(next_post + 1 / per_reader_posts, time.monotonic())
                    elif now >= next_read:
                        read(reader, n)
                        n += 1
                        next_read = max(next_read + 1 / per_reader_reads, time.monotonic())
                    else:
                        time.sleep(min(next_read, next_post) - now)

            threads = [threading.Thread(target=steady, args=(r,), daemon=True) for r in readers]
            for t in threads:
                t.start()
            minute = 0
            while time.monotonic() < stop_at:
                time.sleep(min(60, max(0, stop_at - time.monotonic())))
                minute += 1
                print(f"  minute {minute}: " + ", ".join(f"pid {pid} {rss_kib(pid) / 1024:.1f} MiB"
                                                         for pid in server.workers())
                      + f"; {counts}", flush=True)
            for t in threads:
                t.join()
            end = {pid: rss_kib(pid) for pid in server.workers()}
        finally:
            server.stop()

        print(f"\n{args.minutes:g} minutes, {counts['reads']} reads and {counts['posts']} posts "
              f"({counts['read_errors'] + counts['post_errors']} errors)")
        for pid, before in start.items():
            after = end.get(pid)
            if after is None:
                print(f"  worker {pid}: {before / 1024:.1f} MiB at start, gone at the end (restarted)")
                continue
            growth = (after - before) / before
            print(f"  worker {pid}: {before / 1024:.1f} MiB -> {after / 1024:.1f} MiB ({growth:+.1%}) "
                  f"(target ≤ +10%: {'met' if growth <= 0.10 else 'MISSED'})")
        posted = counts["posts"]  # warm-up posts included
        stored = len(stored_ours(instance, url))
        print(f"  stored {stored} comments for {posted} successful posts: "
              + ("none lost, none duplicated" if stored == posted else "MISMATCH"))


if __name__ == "__main__":
    main()
