"""Importing a WordPress export: comments per second, with and without scoring, and the second run's cost.

Writes a WXR file of --posts posts with --per-post comments each (a third of
them replies, nested up to three deep; 80% approved, 5% held, 10% spam, 5%
trash), imports it as a site's history with ``--labels --rejected-as`` (default
``review``: the trashed ones are grouped into near-duplicates for the To label
tab, the slowest way) into a fresh SQLite instance with the shipped default
model, imports it again (which must add nothing), and exports it back. One
process, no network. Target: 50,000 comments (``--posts 500``) in the time of a
coffee, five minutes.
"""
from __future__ import annotations

import argparse
import random
import tempfile
import time
from pathlib import Path
from xml.sax.saxutils import escape

from common import target

from moderation import create_app
from moderation.extensions import db
from moderation.model.store import seed
from moderation.sites.exports import export_wxr
from moderation.sites.imports import import_file

WORDS = "the council tram budget vote harbour bridge school ferry late report depot cheap great thanks".split()


def write_wxr(path: Path, posts: int, per_post: int, rng: random.Random) -> int:
    items, cid = [], 0
    for p in range(1, posts + 1):
        comments, ids = [], []
        for _ in range(per_post):
            cid += 1
            parent = rng.choice(ids[-3:]) if ids and rng.random() < 0.33 else 0
            text = " ".join(rng.choice(WORDS) for _ in range(rng.randint(5, 40)))
            status = rng.choices(["1", "0", "spam", "trash"], [80, 5, 10, 5])[0]
            comments.append(
                f"<wp:comment><wp:comment_id>{cid}</wp:comment_id><wp:comment_author>Reader {cid}</wp:comment_author>"
                f"<wp:comment_author_email>r{cid}@example.org</wp:comment_author_email>"
                f"<wp:comment_author_IP>203.0.113.{cid % 250}</wp:comment_author_IP>"
                f"<wp:comment_date_gmt>2024-03-04 10:{cid % 60:02d}:00</wp:comment_date_gmt>"
                f"<wp:comment_content>{escape(text)}</wp:comment_content>"
                f"<wp:comment_approved>{status}</wp:comment_approved><wp:comment_parent>{parent}</wp:comment_parent>"
                f"</wp:comment>")
            ids.append(cid)
        items.append(f"<item><title>Post {p}</title><wp:post_id>{p}</wp:post_id><wp:post_name>post-{p}</wp:post_name>"
                     f"<wp:status>publish</wp:status><wp:post_type>post</wp:post_type>{''.join(comments)}</item>")
    path.write_text('<?xml version="1.0" encoding="UTF-8"?><rss version="2.0" '
                    'xmlns:wp="http://wordpress.org/export/1.2/"><channel><link>https://bench.example</link>'
                    f"<wp:wxr_version>1.2</wp:wxr_version>{''.join(items)}</channel></rss>")
    return cid


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=20)
    parser.add_argument("--per-post", type=int, default=100)
    parser.add_argument("--rejected-as", default="review", choices=("toxic", "spam", "review"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        wxr = Path(tmp) / "export.xml"
        n = write_wxr(wxr, args.posts, args.per_post, random.Random(0))
        raw = wxr.read_bytes()
        for score in (True, False):
            app = create_app({"RATELIMIT_ENABLED": False}, instance_path=str(Path(tmp) / f"instance-{score}"))
            with app.app_context():
                db.create_all()
                seed()  # the shipped model, as init-db puts it in the database
                start = time.perf_counter()
                first = import_file("wxr", raw, labels=True, rejected_as=args.rejected_as, score=score)
                took = time.perf_counter() - start
                start = time.perf_counter()
                second = import_file("wxr", raw, labels=True, rejected_as=args.rejected_as, score=score)
                again = time.perf_counter() - start
                start = time.perf_counter()
                exported = export_wxr()
                export_took = time.perf_counter() - start
                print(f"{'scored' if score else '--no-scores'}: {n:,} comments ({len(raw) / 1e6:.1f} MB) imported in "
                      f"{took:.2f} s ({sum(first.imported.values()) / took:,.0f} comments/s, {first.scored:,} scored); "
                      f"second run {again:.2f} s, added {sum(second.imported.values())}; "
                      f"WXR export {export_took:.2f} s ({len(exported) / 1e6:.1f} MB); labels "
                      f"{dict(sorted(first.labels.items()))}; 50,000 at this rate {took * 50_000 / n:.0f} s "
                      f"{target(took * 50_000 / n, 300, higher=False)}")
                db.session.remove()


if __name__ == "__main__":
    main()
