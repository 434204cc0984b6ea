"""The whole comment (text and commenter fields) and learning a site from its decisions."""
from __future__ import annotations

import random

import numpy as np
import pytest

from training.adapt import adapt
from training.compiled import CompiledModel
from training.datasets import Dataset, Example, Post
from training.evaluate import Thresholds
from training.features import commenter_tokens
from training.pipeline import fit_pipeline
from training.site import gate, learn

PRAISE = ["Great post, very informative, keep it up", "Nice article, thanks for sharing this with us",
          "I really enjoyed reading this, bookmarked", "Very helpful post, I learned a lot today"]


def blog_examples(n: int = 80, seed: int = 0) -> list[Example]:
    """The same generic praise from spammers (keyword names, shop websites) and from readers (plain names)."""
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        text = f"{rng.choice(PRAISE)} {i}"
        rows.append(Example(text, {"spam": True, "toxic": False}, "blog", author="Cheap Cover Deals",
                            website=f"https://cheap-cover-deals-{i}.xyz/offers", email=f"sales{i}@deals.xyz"))
        rows.append(Example(text, {"spam": False, "toxic": False}, "blog", author=f"Margaret Hale {i}",
                            email=f"mhale{i}@gmail.com"))
    return rows


def test_commenter_tokens_describe_the_fields_and_nothing_for_plain_text() -> None:
    assert commenter_tokens(Post("hello")) == []
    tokens = commenter_tokens(Post("hi", "Best Cover Deals", "https://www.best-cover-deals.xyz/cheap", "a@deals.xyz"))
    assert {"author:best", "website-tld:xyz", "website-word:deals", "email-domain:deals.xyz",
            "website:path"} <= set(tokens)
    # What nearly every reader has (no website, free mail) is no evidence: it would only say "like that source".
    assert commenter_tokens(Post("hi", "Tom", "", "tom@gmail.com")) == ["author:tom"]


def test_the_fields_decide_where_the_text_cannot(datasets: list[Dataset]) -> None:
    examples = [e for d in datasets for e in d.examples] + blog_examples()
    model = fit_pipeline(examples)
    compiled = CompiledModel(model)
    text = "Great post, very informative, keep it up"
    spammer = Post(text, "Cheap Cover Deals", "https://cheap-cover-deals.xyz/offers", "sales@deals.xyz")
    reader = Post(text, "Margaret Hale", "", "mhale@gmail.com")
    assert compiled.score(spammer)["spam"] > 0.8 > 0.2 > compiled.score(reader)["spam"]
    # The fast path agrees with the pipeline, with fields and without.
    comments = [spammer, reader, text]
    expected = model.predict_proba(comments)
    got = [[compiled.score(c)[label] for label in compiled.labels] for c in comments]
    np.testing.assert_allclose(got, expected, atol=1e-5)
    reasons = [term for term, _ in compiled.explain(spammer)["spam"]]
    assert any(term.startswith(("name", "website", "email")) for term in reasons), reasons
    # A name is evidence of spam, never of abuse: toxicity reads the text alone.
    assert compiled.score(spammer)["toxic"] == pytest.approx(compiled.score(text)["toxic"])


def test_a_site_layer_learns_what_the_base_model_does_not_know(datasets: list[Dataset]) -> None:
    """The base model knows nothing of "rotten tomatoes" comments; 40 decisions teach it they are toxic here."""
    base = fit_pipeline([e for d in datasets for e in d.examples])
    rng = random.Random(1)
    site_toxic = [f"rotten tomatoes to the {w} crowd" for w in ("north", "east", "south", "west", "old", "young")]
    site_ok = [f"the {w} crowd at the match was loud" for w in ("north", "east", "south", "west", "old", "young")]
    decisions = [Example(rng.choice(site_toxic), {"spam": False, "toxic": True}, "decisions") for _ in range(20)]
    decisions += [Example(rng.choice(site_ok), {"spam": False, "toxic": False}, "decisions") for _ in range(20)]
    adapted = adapt(base, decisions)
    probe = "rotten tomatoes to the whole crowd"
    before, after = (m.predict_proba([probe])[0, 1] for m in (base, adapted))
    assert after > before + 0.2
    # What the decisions say nothing about stays where the base model put it.
    unrelated = "I agree with the council about the new library"
    assert abs(adapted.predict_proba([unrelated])[0, 0] - base.predict_proba([unrelated])[0, 0]) < 0.05
    # The adapted model is an ordinary pipeline: the fast path agrees with it.
    np.testing.assert_allclose(CompiledModel(adapted).score(probe)["toxic"], after, atol=1e-5)


def test_a_site_run_learns_them_as_a_layer_and_measures_it_out_of_fold(datasets: list[Dataset]) -> None:
    base = fit_pipeline([e for d in datasets for e in d.examples])
    # Made-up words the base model cannot tell apart, in the same sentences: only the site's labels say
    # which of them insult.
    rng = random.Random(2)
    frames = ["what a {} the crowd {} was", "only a {} would say {} again", "{} number {} wrote this", "{} at gate {}"]
    def site(words: list[str], toxic: bool) -> list[Example]:
        return [Example(rng.choice(frames).format(rng.choice(words), i), {"spam": False, "toxic": toxic},
                        "decisions", 10.0) for i in range(30)]
    decisions = site(["zorbleflap", "snivelgrub", "plonkwit"], True) + site(["quennel", "marrowby", "tansely"], False)
    run = learn(base, decisions, np.zeros(len(decisions), dtype=bool), {label: Thresholds(0.5, 0.99)
                                                                         for label in ("spam", "toxic")})
    assert run.model.predict_proba(["what a zorbleflap the crowd was"])[0, 1] > \
        run.model.predict_proba(["what a marrowby the crowd was"])[0, 1] + 0.3
    toxic = run.comparisons["toxic"]
    # Every label scored by a layer that never saw it: the words generalise across the sentences.
    assert toxic.candidate_auc > 0.9 and toxic.candidate_auc > toxic.active_auc and toxic.better
    assert gate(run.comparisons, 0, 0).passed
