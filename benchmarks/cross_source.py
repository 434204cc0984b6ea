"""How a model does on comments from a source it never saw: the evaluation that matters.

- spam, each YouTube channel left out: trained on the other three channels
  only, and trained on everything else (the default recipe without that channel);
- toxic, each toxic-labelled source left out (the project corpus, OLID tweets,
  Davidson tweets), trained on the other two;
- spam, trained on YouTube + SMS, tested on the project corpus.

Targets: spam ROC AUC ≥ 0.99 on a left-out YouTube channel; toxic ROC AUC ≥
0.95 on comments from a source not used in training.
"""
from __future__ import annotations

from common import by_source, load_sets, mean, roc_auc, target

from training.pipeline import fit_pipeline


def main() -> None:
    sets = load_sets()
    youtube = sets["youtube"].examples
    channels = by_source(youtube)
    others = [e for name, d in sets.items() if name != "youtube" for e in d.examples]
    print("spam ROC AUC on a YouTube channel left out of training:")
    alone, default_like = [], []
    for channel, held in channels.items():
        rest = [e for e in youtube if e.source != channel]
        alone.append(roc_auc(fit_pipeline(rest, ("spam",)), held, "spam"))
        default_like.append(roc_auc(fit_pipeline(rest + others), held, "spam"))
        print(f"  {channel:<24} other 3 channels only: {alone[-1]:.3f}   everything else: {default_like[-1]:.3f} "
              f"{target(default_like[-1], 0.99)}")
    print(f"  {'mean':<24} other 3 channels only: {mean(alone):.3f}   everything else: {mean(default_like):.3f} "
          f"{target(mean(default_like), 0.99)}")

    if "corpus" not in sets:
        return
    corpus = sets["corpus"].examples
    tweets = sets["olid"].examples + sets["davidson"].examples
    print("toxic ROC AUC on a source left out of training (trained on the other two):")
    toxic_sources = ("corpus", "olid", "davidson")
    for held_name in toxic_sources:
        rest = [e for name in toxic_sources if name != held_name for e in sets[name].examples]
        toxic = roc_auc(fit_pipeline(rest, ("toxic",)), sets[held_name].examples, "toxic")
        print(f"  {held_name:<24} {toxic:.3f} {target(toxic, 0.95)}")
    spam = roc_auc(fit_pipeline(youtube + sets["sms"].examples, ("spam",)), corpus, "spam")
    print(f"spam ROC AUC, trained on YouTube + SMS, tested on the project corpus: {spam:.3f} {target(spam, 0.99)}")
    public = fit_pipeline(youtube + sets["sms"].examples + tweets)
    print("all public data (no corpus), tested on the project corpus: "
          + ", ".join(f"{label} {roc_auc(public, corpus, label):.3f}" for label in ("spam", "toxic")))


if __name__ == "__main__":
    main()
