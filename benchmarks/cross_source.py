"""How a model does on comments from a source it never saw: the evaluation that matters.

- toxic, each toxic-labelled source left out, trained on all the others (the
  default recipe's data without it): the project corpus, OLID tweets,
  Davidson tweets, Stormfront forum sentences, HateXplain posts, Wikipedia
  talk comments, and "news": Civil Comments' news comments (all toxic) with
  the corpus's clean comments, both left out together, since Civil alone has
  no clean side;
- spam, each YouTube channel left out: trained on the other three channels
  only, and trained on everything else;
- spam, trained on YouTube + SMS, tested on the project corpus.

Targets: toxic ROC AUC on a left-out source ≥ 0.85 on average with none
below 0.75; spam ≥ 0.99 on a left-out YouTube channel.
"""
from __future__ import annotations

import argparse

from common import by_source, load_sets, mean, roc_auc, target

from training.datasets import Dataset, Example
from training.pipeline import fit_pipeline

TOXIC_SOURCES = ("corpus", "news", "olid", "davidson", "stormfront", "hatexplain", "wikitalk")


def left_out(sets: dict[str, Dataset], held: str) -> tuple[list[Example], list[Example]]:
    """``(train, test)`` for one left-out toxic source."""
    if held == "news":
        test = sets["civil"].examples + [e for e in sets["corpus"].examples if e.labels.get("toxic") is False]
        gone = ("civil", "corpus")
    else:
        test, gone = sets[held].examples, (held,)
    return [e for name, d in sets.items() if name not in gone for e in d.examples], test


def toxic_matrix(sets: dict[str, Dataset]) -> None:
    print("toxic ROC AUC on a source left out of training (trained on all the others):", flush=True)
    figures = []
    for held in TOXIC_SOURCES:
        train, test = left_out(sets, held)
        figures.append(roc_auc(fit_pipeline(train, ("toxic",)), test, "toxic"))
        print(f"  {held:<12} {figures[-1]:.3f} (n={len(test):,})", flush=True)
    print(f"  mean {mean(figures):.3f} {target(mean(figures), 0.85)}; worst {min(figures):.3f} "
          f"{target(min(figures), 0.75)}")


def spam_matrix(sets: dict[str, Dataset]) -> None:
    youtube = sets["youtube"].examples
    others = [e for name, d in sets.items() if name != "youtube" for e in d.examples]
    print("spam ROC AUC on a YouTube channel left out of training:", flush=True)
    alone, default_like = [], []
    for channel, held in by_source(youtube).items():
        rest = [e for e in youtube if e.source != channel]
        alone.append(roc_auc(fit_pipeline(rest, ("spam",)), held, "spam"))
        default_like.append(roc_auc(fit_pipeline(rest + others), held, "spam"))
        print(f"  {channel:<24} other 3 channels only: {alone[-1]:.3f}   everything else: {default_like[-1]:.3f} "
              f"{target(default_like[-1], 0.99)}", flush=True)
    print(f"  {'mean':<24} other 3 channels only: {mean(alone):.3f}   everything else: {mean(default_like):.3f} "
          f"{target(mean(default_like), 0.99)}")
    spam = roc_auc(fit_pipeline(youtube + sets["sms"].examples, ("spam",)), sets["corpus"].examples, "spam")
    print(f"spam ROC AUC, trained on YouTube + SMS, tested on the project corpus: {spam:.3f} {target(spam, 0.99)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=("toxic", "spam"), help="print one matrix (default: both)")
    only = parser.parse_args().only
    sets = load_sets()
    if only != "spam":
        toxic_matrix(sets)
    if only != "toxic":
        spam_matrix(sets)


if __name__ == "__main__":
    main()
