"""Where one post's time goes: the reader's wait, step by step, and the follow-up after the response.

In one process, with the shipped model, through the whole form path as a
browser takes it (the article page once for the CSRF token and the session
cookie, then POSTs to the comment form). Each post's response is timed to
the reader's answer; closing it (as a server does once it is sent) runs the
follow-up, timed apart. A cProfile of the same posts gives the milliseconds
per post of each step. SQLite in a temporary instance folder, or the
PostgreSQL database in DATABASE_URL, which it EMPTIES.

    .venv/bin/python benchmarks/post_profile.py [--posts 500] [--existing 5000]

``--existing N`` first posts N comments to the article the same way (not
timed): what a post costs under a story that already has a long thread, where
any look-up that reads the article's or a reader's comments shows.
"""
from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import re
import statistics
import tempfile
import time

import common  # noqa: F401  (puts the repository root on sys.path)

from moderation import create_app
from moderation.extensions import db
from moderation.model.store import seed
from moderation.models import Article

#: (label, function name as cProfile names it: "file:line(function)" ends with this) of the steps shown.
STEPS = [
    ("whole request (to the answer)", "app.py", "full_dispatch_request"),
    ("  session cookie opened and saved", "sessions.py", "open_session"),
    ("", "sessions.py", "save_session"),
    ("  form and CSRF check", "form.py", "validate_on_submit"),
    ("", "form.py", "validate"),
    ("  submit()", "submit.py", "submit"),
    ("    look_up (one query)", "submit.py", "look_up"),
    ("    score", "screening.py", "score"),
    ("    route", "policy.py", "route"),
    ("    store (insert, commit)", "submit.py", "store"),
    ("  page_of (the redirect's page)", "threads.py", "page_of"),
    ("follow-up (after the response)", "followups.py", "_run_guarded"),
]
TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def per_post(stats: pstats.Stats, posts: int) -> dict[str, float]:
    """Cumulative milliseconds per post of each step, summed over functions of the same name and file."""
    found: dict[tuple[str, str], float] = {}
    for (filename, _line, name), (_cc, _nc, _tt, cumulative, _callers) in stats.stats.items():  # type: ignore[attr-defined]
        for _label, file, function in STEPS:
            if filename.endswith(file) and name == function:
                found[file, function] = found.get((file, function), 0.0) + cumulative
    return {f"{file}:{function}": 1000 * seconds / posts for (file, function), seconds in found.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=500)
    parser.add_argument("--existing", type=int, default=0, help="comments posted to the article before timing")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="post-profile-") as instance:
        app = create_app({"RATELIMIT_ENABLED": False, "SECRET_KEY": "post-profile"}, instance_path=instance)
        with app.app_context():
            db.drop_all()
            db.create_all()
            seed()
            db.session.add(Article(slug="posts", title="Posting here", body="Readers post below."))
            db.session.commit()
            print(f"database: {db.engine.url.get_backend_name()}, model {app.extensions['moderation.scorer'].model().version}")
        client = app.test_client()
        token = TOKEN.search(client.get("/articles/posts").get_data(as_text=True)).group(1)  # type: ignore[union-attr]
        cookie = client.get_cookie("session").value  # type: ignore[union-attr]
        # The page's session cookie and nothing else on each post, as wrk's readers in load.py send it: a
        # client keeping every cookie would pile up its "Thank you" messages in the session and an edit
        # cookie per comment, which a reader has one of for each comment posted in the last 15 minutes.
        poster = app.test_client(use_cookies=False)

        def post(n: int) -> tuple[float, float]:
            start = time.perf_counter()
            response = poster.post("/articles/posts/comments", buffered=False, headers={"Cookie": f"session={cookie}"}, data={
                "comment": f"Profile reader comment {n} about the harbour bridge closure and the traffic.",
                "author": f"Reader {n % 50}", "email": f"reader{n % 50}@example.org", "url": "",
                "csrf_token": token})
            answered = time.perf_counter()
            response.close()  # what the server does once the answer is sent: the follow-up runs
            assert response.status_code == 302, response.status_code
            return answered - start, time.perf_counter() - answered

        for n in range(50 + args.existing):  # warm: the model's caches, the statement caches; then the thread
            post(-n - 1)
        timings = [post(n) for n in range(args.posts)]
        profiler = cProfile.Profile()
        profiler.enable()
        for n in range(args.posts, 2 * args.posts):
            post(n)
        profiler.disable()

    answer = sorted(1000 * a for a, _ in timings)
    after = sorted(1000 * f for _, f in timings)
    print(f"{args.posts} posts, unprofiled: reader's answer median {statistics.median(answer):.2f} ms, "
          f"p99 {answer[int(0.99 * len(answer))]:.2f} ms; follow-up after it median {statistics.median(after):.2f} ms")
    print("\nprofiled (cProfile adds its own overhead), ms per post, cumulative:")
    steps = per_post(pstats.Stats(profiler), args.posts)
    label = ""
    for text, file, function in STEPS:
        label = text or label
        if f"{file}:{function}" in steps:
            print(f"  {label:<36} {file}:{function:<22} {steps[f'{file}:{function}']:6.2f}")


if __name__ == "__main__":
    os.environ.setdefault("MODERATION_RATELIMIT_ENABLED", "false")
    main()
