"""Near-duplicates and precedents (moderation/comments/similarity.py): what they cost per comment and how well they work.

Prints, on ONE core:
1. the cost of a comment's MinHash signature and band keys (pure), and of
   ``similarity.near`` and ``similarity.index`` on the submit path (signature, indexed
   candidate lookup, its rows inserted in two statements; the comment's own INSERT and the commit excluded) into a
   SQLite database already holding N comments;
2. wave grouping: 40 spam waves of 20 copies with 1-4 small edits each, mixed
   into real comments; the share of each wave's copies in its largest group,
   and how many unrelated comments joined a wave's group;
3. similar past decisions: for real comments, does the nearest decided comment
   carry the same label? MinHash signatures against a TF-IDF character n-gram
   cosine, both over the same pool of "decided" comments.

    .venv/bin/python benchmarks/similarity.py [--existing 5000]
"""
from __future__ import annotations

import os

for variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[variable] = "1"
os.sched_setaffinity(0, {0})

import argparse  # noqa: E402
import random  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from collections import Counter  # noqa: E402

import numpy as np  # noqa: E402
import sqlalchemy as sa  # noqa: E402
from common import load_sets  # noqa: E402
from sklearn.feature_extraction.text import TfidfVectorizer  # noqa: E402

from moderation import create_app  # noqa: E402
from moderation.comments import similarity  # noqa: E402
from moderation.extensions import db  # noqa: E402
from moderation.models import Article, Comment, CommentSignature, Status  # noqa: E402

FILLER = ["really", "now", "today", "guys", "please", "!!", "the", "so", "very", "check"]


def edited(text: str, rng: random.Random) -> str:
    """A wave copy: 1-4 word insertions, deletions or swaps, as spam tools vary their posts."""
    words = text.split()
    for _ in range(rng.randint(1, 4)):
        i = rng.randrange(len(words))
        kind = rng.random()
        if kind < 0.4:
            words.insert(i, rng.choice(FILLER))
        elif kind < 0.7 and len(words) > 4:
            del words[i]
        else:
            words[i] = rng.choice(FILLER)
    return " ".join(words)


def label_of(labels: dict[str, bool]) -> str:
    return "spam" if labels.get("spam") else "toxic" if labels.get("toxic") else "ok"


def new_comment(article: Article, text: str, n: int) -> Comment:
    return Comment(article=article, author="b", email=f"b{n}@example.org", text=text, ip_hash="x",
                   status=Status.PENDING, routed_status=Status.PENDING, route_rule="bench", route_reason="bench")


def cost(texts: list[str], existing: int) -> None:
    for t in texts[:200]:
        similarity.band_keys(similarity.signature(t))
    took = []
    for t in texts[:3000]:
        started = time.perf_counter()
        sig = similarity.signature(t)
        if sig is not None:
            similarity.band_keys(sig)
        took.append((time.perf_counter() - started) * 1e6)
    print(f"signature + band keys: median {np.median(took):.0f} µs, p95 {np.percentile(took, 95):.0f} µs "
          f"over 3,000 real comments (mean length {np.mean([len(t) for t in texts[:3000]]):.0f} chars)")

    with tempfile.TemporaryDirectory() as tmp:
        app = create_app({"TESTING": True, "SECRET_KEY": "bench"}, instance_path=tmp)
        with app.app_context():
            db.create_all()
            article = Article(slug="bench", title="Bench", body="Body.")
            db.session.add(article)
            for n, t in enumerate((texts * (existing // len(texts) + 1))[:existing]):
                c = new_comment(article, t, n)
                db.session.add(c)
                db.session.flush()
                similarity.index(c.id, similarity.near(c.text))
                if n % 500 == 0:
                    db.session.commit()
            db.session.commit()
            took = []
            for n, t in enumerate(texts[-500:]):
                c = new_comment(article, t, n)
                db.session.add(c)
                db.session.flush()  # the comment's own INSERT is not similarity's cost
                started = time.perf_counter()
                similarity.index(c.id, similarity.near(c.text))
                db.session.flush()
                took.append((time.perf_counter() - started) * 1000)
                db.session.commit()
            print(f"similarity.near + index on the submit path, {existing:,} comments already indexed: "
                  f"median {np.median(took):.2f} ms, p95 {np.percentile(took, 95):.2f} ms per comment")


def grouping(spam: list[str], others: list[str], rng: random.Random) -> None:
    waves = [t for t in spam if len(t) >= 60][:40]
    posts = [(None, t) for t in others[:2000]] + [(w, edited(text, rng)) for w, text in enumerate(waves)
                                                   for _ in range(20)]
    rng.shuffle(posts)
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app({"TESTING": True, "SECRET_KEY": "bench"}, instance_path=tmp)
        with app.app_context():
            db.create_all()
            article = Article(slug="bench", title="Bench", body="Body.")
            db.session.add(article)
            made = []
            for n, (wave, text) in enumerate(posts):
                c = new_comment(article, text, n)
                db.session.add(c)
                db.session.flush()
                similarity.index(c.id, similarity.near(c.text))
                made.append((wave, c.id))
            db.session.commit()
            group = dict(db.session.execute(sa.select(CommentSignature.comment_id, CommentSignature.group_id)).all())
    in_largest = []
    wave_groups: dict[int, Counter[int]] = {}
    for wave, cid in made:
        if wave is not None:
            wave_groups.setdefault(wave, Counter())[group.get(cid, -cid)] += 1
    main_groups = {w: counts.most_common(1)[0][0] for w, counts in wave_groups.items()}
    for counts in wave_groups.values():
        in_largest.append(counts.most_common(1)[0][1] / sum(counts.values()))
    joined = sum(1 for wave, cid in made if wave is None and group.get(cid) in main_groups.values())
    whole = sum(1 for share in in_largest if share == 1.0)
    print(f"wave grouping: {len(waves)} waves x 20 edited copies among {len(others[:2000]):,} real comments: "
          f"{np.mean(in_largest):.1%} of copies in their wave's largest group, {whole}/{len(waves)} waves whole; "
          f"{joined} unrelated comments joined a wave's group")


def precedents(examples: list[tuple[str, str]]) -> None:
    pool, queries = examples[:2000], examples[2000:3000]
    pool_labels = np.array([label for _, label in pool])
    truth = np.array([label for _, label in queries])
    sigs = np.stack([similarity.signature(t) for t, _ in pool])
    started = time.perf_counter()
    minhash = np.array([(sigs == similarity.signature(t)).mean(axis=1) for t, _ in queries])
    minhash_ms = (time.perf_counter() - started) * 1000 / len(queries)
    vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True, min_df=2)
    started = time.perf_counter()
    matrix = vectorizer.fit_transform([t for t, _ in pool])
    fit_ms = (time.perf_counter() - started) * 1000
    started = time.perf_counter()
    cosine = (vectorizer.transform([t for t, _ in queries]) @ matrix.T).toarray()
    tfidf_ms = (time.perf_counter() - started) * 1000 / len(queries)
    majority = Counter(truth).most_common(1)[0][1] / len(truth)
    print(f"precedents: {len(queries):,} real comments against {len(pool):,} decided ones; "
          f"always guessing the commonest label agrees {majority:.1%}")
    for name, sims, floor, ms in (("MinHash", minhash, similarity.MIN_PRECEDENT, minhash_ms),
                                  ("TF-IDF char 3-5 cosine", cosine, 0.3, tfidf_ms)):
        best = sims.argmax(axis=1)
        top = sims[np.arange(len(best)), best]
        shown = top >= floor
        agree = pool_labels[best] == truth
        floors = ", ".join(f"≥ {f:g}: {(top >= f).mean():.0%} shown, {agree[top >= f].mean():.0%} agree"
                           for f in (floor / 2, floor * 2, floor * 3))
        print(f"  {name}: nearest has the same label {agree.mean():.1%} of the time; shown (≥ {floor:g}) for "
              f"{shown.mean():.1%} of comments, agreeing {agree[shown].mean():.1%} there; {ms:.2f} ms per comment"
              + (f" (+ {fit_ms:.0f} ms to fit the pool)" if name.startswith("TF") else "") + f"; {floors}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--existing", type=int, default=5000)
    args = parser.parse_args()
    sets = load_sets("corpus", "youtube", "olid")
    rng = random.Random(0)
    examples = [(e.text, label_of(e.labels)) for d in sets.values() for e in d.examples if e.text.strip()]
    rng.shuffle(examples)
    texts = [t for t, _ in examples]
    cost(texts, args.existing)
    spam = [t for t, label in examples if label == "spam"]
    grouping(spam, [t for t, label in examples if label != "spam"], rng)
    precedents(examples)


if __name__ == "__main__":
    main()
