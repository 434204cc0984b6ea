"""Dataset loaders: one per file format, each turning a file into ``Example`` values.

CONTRACT (shared by the app and the training code; keep these names and fields):

- ``LABELS``: the risk labels routing uses, in model output order.
- ``Example(text, labels, source, weight, author, website, email)``: ``labels`` maps a
  label name to True/False for the labels this source *knows*; a label missing from the
  mapping is unknown (a YouTube ham comment says nothing about toxicity). Finer sub-labels
  are kept as ``"toxic.insult"``, ``"toxic.hate"`` and so on. ``weight`` lets moderator
  decisions count more than public data. The commenter's fields are empty for sources
  that lack them; ``Example.post`` is what the model reads.
- ``Dataset(name, examples, skipped, sha256)``: what one ``FORMAT:PATH`` spec loaded.
- ``load(spec)`` parses ``FORMAT:PATH`` and dispatches to the loader for FORMAT.

Loaders tolerate real files: invalid UTF-8 is repaired and counted, HTML
entities unescaped, empty and unlabelled rows skipped with a reason; only a
file that is unusable as a whole raises ``DatasetError``.
"""
from __future__ import annotations

import csv
import hashlib
import html
import io
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree import ElementTree

LABELS: tuple[str, ...] = ("spam", "toxic")


@dataclass(frozen=True)
class Post:
    """A comment with the commenter's fields, as the model reads it; all fields empty for a text-only source."""

    text: str
    author: str = ""
    website: str = ""
    email: str = ""


@dataclass(frozen=True)
class Example:
    text: str
    labels: Mapping[str, bool]
    source: str
    weight: float = 1.0
    author: str = ""
    website: str = ""
    email: str = ""

    @property
    def post(self) -> Post:
        return Post(self.text, self.author, self.website, self.email)


@dataclass
class Dataset:
    name: str
    examples: list[Example]
    skipped: Counter[str] = field(default_factory=Counter)
    sha256: str = ""


class DatasetError(ValueError):
    """The file as a whole cannot be used (missing, unknown format, required columns absent)."""


Loader = Callable[[Path], Dataset]
#: Sources that are not files, added by :func:`register_source`.
_SOURCES: dict[str, Callable[[str], Dataset]] = {}

#: Which files a directory spec picks up, per format.
_GLOBS = {"youtube": "*.csv", "csv": "*.csv", "jigsaw": "*.csv", "davidson": "*.csv", "olid": "*.tsv",
          "sms": "*", "wxr": "*.xml", "civil": "comments.csv", "stormfront": "stormfront_combined.csv",
          "hatexplain": "*.csv", "wikitalk": "g[cn].csv"}


def load(spec: str) -> Dataset:
    """Load ``FORMAT:PATH``; PATH may be a file or a folder of such files.

    A registered source (:func:`register_source`) is handed the text after the
    colon as it is: it need not be a path.
    """
    fmt, sep, raw_path = spec.partition(":")
    if sep and fmt in _SOURCES:
        return _SOURCES[fmt](raw_path)
    if not sep or fmt not in FORMATS:
        known = ", ".join(sorted([*FORMATS, *_SOURCES]))
        raise DatasetError(f"{spec!r}: expected FORMAT:PATH with FORMAT one of {known}")
    path = Path(raw_path).expanduser()
    if not path.exists():
        raise DatasetError(f"{spec!r}: {path} does not exist")
    files = sorted(p for p in path.glob(_GLOBS.get(fmt, "*")) if p.is_file() and not p.name.startswith(".")
                   and p.name not in ("SOURCE.md", "README.md")) if path.is_dir() else [path]
    if not files:
        raise DatasetError(f"{spec!r}: no {_GLOBS.get(fmt, '*')} files in {path}")
    parts = [FORMATS[fmt](f) for f in files]
    combined = Dataset(name=spec, examples=[e for p in parts for e in p.examples])
    for p in parts:
        combined.skipped.update(p.skipped)
    combined.sha256 = parts[0].sha256 if len(parts) == 1 else hashlib.sha256(
        "".join(p.sha256 for p in parts).encode()).hexdigest()
    return combined


def register_source(name: str, loader: Callable[[str], Dataset]) -> None:
    """Let the web app add a source it owns and the library cannot read alone.

    ``decisions:DATABASE`` is one: moderator decisions live in the app's
    database, and only the app knows its schema.
    """
    _SOURCES[name] = loader


def summary(ds: Dataset) -> str:
    positives = {label: sum(1 for e in ds.examples if e.labels.get(label)) for label in LABELS}
    skipped = ", ".join(f"{reason} {n}" for reason, n in sorted(ds.skipped.items())) or "none"
    pos = ", ".join(f"{label} {n}" for label, n in positives.items())
    return f"{ds.name}: {len(ds.examples)} examples ({pos}); skipped: {skipped}"


# --- reading real-world files -------------------------------------------------------------

def _read_text(path: Path, skipped: Counter[str]) -> tuple[str, str]:
    """Decode as UTF-8 whatever it takes: bad bytes become U+FFFD and are counted, not fatal."""
    raw = path.read_bytes()
    digest = hashlib.sha256(raw).hexdigest()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("utf-8", errors="replace")
        skipped["invalid-utf8-repaired"] += text.count("\ufffd")
    return text.lstrip("\ufeff"), digest


def _clean(text: str | None) -> str:
    return " ".join(html.unescape(text or "").split()) if text else ""


def _rows(text: str, delimiter: str = ",") -> Iterator[dict[str, str]]:
    csv.field_size_limit(10 * 1024 * 1024)
    return csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter)


def _require(reader: csv.DictReader, path: Path, *columns: str) -> None:
    found = [c for c in (reader.fieldnames or [])]
    missing = [c for c in columns if c not in found]
    if missing:
        raise DatasetError(f"{path.name}: needs columns {', '.join(columns)}; found {', '.join(found) or 'none'}")


def _table(path: Path, fmt: str, delimiter: str, text_col: str, required: tuple[str, ...],
           labels: Callable[[dict[str, str]], dict[str, bool] | None]) -> Dataset:
    skipped: Counter[str] = Counter()
    text, digest = _read_text(path, skipped)
    reader = _rows(text, delimiter)
    _require(reader, path, text_col, *required)
    examples = []
    for row in reader:
        if None in row or any(row.get(c) is None for c in (text_col, *required)):
            skipped["malformed"] += 1
            continue
        body = _clean(row[text_col])
        if not body:
            skipped["empty"] += 1
            continue
        known = labels(row)
        if known is None:
            skipped["bad-label"] += 1
            continue
        examples.append(Example(body, known, f"{fmt}:{path.name}", author=_clean(row.get("author")),
                                website=_clean(row.get("website")), email=_clean(row.get("email"))))
    return Dataset(f"{fmt}:{path}", examples, skipped, digest)


def _youtube(path: Path) -> Dataset:
    def labels(row: dict[str, str]) -> dict[str, bool] | None:
        value = row["CLASS"].strip()
        return {"spam": value == "1"} if value in ("0", "1") else None
    return _table(path, "youtube", ",", "CONTENT", ("CLASS",), labels)


def _olid(path: Path) -> Dataset:
    def labels(row: dict[str, str]) -> dict[str, bool] | None:
        a = row["subtask_a"].strip()
        if a not in ("OFF", "NOT"):
            return None
        known = {"toxic": a == "OFF"}
        sub = {"TIN": "toxic.targeted", "UNT": "toxic.untargeted", "IND": "toxic.individual",
               "GRP": "toxic.group", "OTH": "toxic.other"}
        for col in ("subtask_b", "subtask_c"):
            if a == "OFF" and (name := sub.get((row.get(col) or "").strip())):
                known[name] = True
        return known
    return _table(path, "olid", "\t", "tweet", ("subtask_a",), labels)


def _davidson(path: Path) -> Dataset:
    def labels(row: dict[str, str]) -> dict[str, bool] | None:
        value = row["class"].strip()
        if value not in ("0", "1", "2"):
            return None
        known = {"toxic": value != "2"}
        if value != "2":
            known["toxic.hate" if value == "0" else "toxic.offensive"] = True
        return known
    return _table(path, "davidson", ",", "tweet", ("class",), labels)


JIGSAW_COLUMNS = ("toxic", "severe_toxic", "obscene", "threat", "insult", "identity_hate")


def _jigsaw(path: Path) -> Dataset:
    def labels(row: dict[str, str]) -> dict[str, bool] | None:
        values = {c: row[c].strip() for c in JIGSAW_COLUMNS if row.get(c) is not None}
        if not values or any(v not in ("0", "1") for v in values.values()):
            return None  # includes the Jigsaw test files' -1 "not labelled"
        known = {"toxic": any(v == "1" for v in values.values())}
        known.update({f"toxic.{c}": v == "1" for c, v in values.items() if c != "toxic"})
        return known
    return _table(path, "jigsaw", ",", "comment_text", (), labels)


_CSV_LABELS = {"ok": {"spam": False, "toxic": False}, "spam": {"spam": True, "toxic": False},
               "toxic": {"spam": False, "toxic": True}}


def _generic_csv(path: Path) -> Dataset:
    def labels(row: dict[str, str]) -> dict[str, bool] | None:
        known = _CSV_LABELS.get(row["label"].strip().lower())
        return dict(known) if known else None
    return _table(path, "csv", ",", "text", ("label",), labels)


def _sms(path: Path) -> Dataset:
    skipped: Counter[str] = Counter()
    text, digest = _read_text(path, skipped)
    examples = []
    for line in text.splitlines():
        label, tab, body = line.partition("\t")
        label = label.strip().lower()
        if not line.strip():
            continue
        if not tab:
            skipped["malformed"] += 1
        elif label == "label":
            skipped["header"] += 1
        elif label not in ("ham", "spam"):
            skipped["bad-label"] += 1
        elif not (body := _clean(body)):
            skipped["empty"] += 1
        else:
            examples.append(Example(body, {"spam": label == "spam"}, f"sms:{path.name}"))
    return Dataset(f"sms:{path}", examples, skipped, digest)


#: The ``wp`` namespace of a WordPress export in every form WordPress has written it: versions 1.0 to 1.2,
#: ``http://`` from WordPress.org's exporter and ``https://`` from WordPress.com's (its theme-unit-test export).
WXR_NAMESPACE = re.compile(r"https?://wordpress\.org/export/1\.[012]/")


def wxr_namespace(root: ElementTree.Element) -> str | None:
    """The ``{uri}`` prefix of the export's ``wp:`` elements, or None when no element uses one.

    Read from the elements rather than guessed from a version list, so an export
    is recognised however its exporter spelled the namespace (``wp:excerpt``'s
    ``.../1.2/excerpt/`` is another namespace and does not match).
    """
    for element in root.iter():
        if isinstance(element.tag, str) and element.tag.startswith("{"):
            uri = element.tag[1:].partition("}")[0]
            if WXR_NAMESPACE.fullmatch(uri):
                return "{" + uri + "}"
    return None


#: WordPress comment status -> labels; "0" (never decided) teaches nothing.
_WXR_STATUS = {"1": {"spam": False, "toxic": False}, "spam": {"spam": True}, "trash": {"toxic": True}}


def _wxr(path: Path) -> Dataset:
    skipped: Counter[str] = Counter()
    text, digest = _read_text(path, skipped)
    if re.search(r"<!DOCTYPE|<!ENTITY", text, re.IGNORECASE):
        raise DatasetError(f"{path.name}: DOCTYPE/ENTITY declarations are refused (they can expand without bound)")
    try:
        root = ElementTree.fromstring(text)
    except ElementTree.ParseError as exc:
        raise DatasetError(f"{path.name}: not well-formed XML: {exc}") from exc
    wp = wxr_namespace(root) or "{http://wordpress.org/export/1.2/}"
    examples = []
    for comment in root.iter(f"{wp}comment"):
        kind = (comment.findtext(f"{wp}comment_type") or "").strip()
        status = (comment.findtext(f"{wp}comment_approved") or "").strip()
        body = _clean(comment.findtext(f"{wp}comment_content"))
        if kind in ("pingback", "trackback"):
            skipped["pingback"] += 1
        elif status == "0":
            skipped["undecided"] += 1
        elif status not in _WXR_STATUS:
            skipped["bad-label"] += 1
        elif not body:
            skipped["empty"] += 1
        else:
            examples.append(Example(body, dict(_WXR_STATUS[status]), f"wxr:{path.name}",
                                    author=_clean(comment.findtext(f"{wp}comment_author")),
                                    website=_clean(comment.findtext(f"{wp}comment_author_url")),
                                    email=_clean(comment.findtext(f"{wp}comment_author_email"))))
    return Dataset(f"wxr:{path}", examples, skipped, digest)


#: Toxic-span types of the Civil Comments re-annotation, as sub-labels.
_SPAN_TYPES = {"Insult": "toxic.insult", "Identity based Attack": "toxic.identity_attack",
               "Profane/Obscene": "toxic.obscene", "Threat": "toxic.threat"}


def _civil(path: Path) -> Dataset:
    """Toxic Spans (Civil Comments news comments): ``comments.csv`` with ``annotations.csv`` and ``spans.csv`` beside it.

    Every post had already been rated toxic by Civil Comments' raters, so all
    are labelled toxic: the span annotators' "not toxic" majority marks
    borderline posts, not clean ones, and measured worse as a clean label.
    What the annotators found becomes the graded part: a sub-label per span
    type that at least half of a post's annotators marked (insult, identity
    attack, obscene, threat).
    """
    skipped: Counter[str] = Counter()
    annotations_path, spans_path = path.with_name("annotations.csv"), path.with_name("spans.csv")
    for needed in (annotations_path, spans_path):
        if not needed.exists():
            raise DatasetError(f"{path.name}: needs {needed.name} beside it")
    annotators: Counter[str] = Counter()
    annotation_of: dict[str, str] = {}
    for row in _rows(_read_text(annotations_path, skipped)[0]):
        comment = row.get("comment_id") or ""
        annotators[comment] += 1
        annotation_of[row.get("annotation") or ""] = comment
    marked: defaultdict[str, set[tuple[str, str]]] = defaultdict(set)  # comment -> {(sub-label, annotation)}
    for row in _rows(_read_text(spans_path, skipped)[0]):
        annotation = row.get("annotation") or ""
        if (comment := annotation_of.get(annotation)) is not None and (sub := _SPAN_TYPES.get(row.get("type") or "")):
            marked[comment].add((sub, annotation))

    text, digest = _read_text(path, skipped)
    reader = _rows(text)
    _require(reader, path, "comment_id", "comment_text")
    examples = []
    for row in reader:
        body = _clean(row.get("comment_text"))
        comment = row.get("comment_id") or ""
        if not body:
            skipped["empty"] += 1
            continue
        votes = max(annotators[comment], 1)
        known = {"toxic": True}
        per_type = Counter(sub for sub, _ in marked[comment])
        known.update({sub: True for sub, n in per_type.items() if n * 2 >= votes})
        examples.append(Example(body, known, f"civil:{path.name}"))
    return Dataset(f"civil:{path}", examples, skipped, digest)


def _stormfront(path: Path) -> Dataset:
    """Stormfront forum sentences: ``hate`` is toxic (with ``toxic.hate``), ``noHate`` clean; the rest skipped.

    ``relation`` (hateful only with the neighbouring sentences) and ``idk/skip``
    say nothing about the sentence alone.
    """
    def labels(row: dict[str, str]) -> dict[str, bool] | None:
        value = row["label"].strip()
        if value == "hate":
            return {"toxic": True, "toxic.hate": True}
        return {"toxic": False} if value == "noHate" else None
    return _table(path, "stormfront", ",", "text", ("label",), labels)


_PLACEHOLDER = re.compile(r"<(?:user|number|percent|money|url|email)>")


def _hatexplain(path: Path) -> Dataset:
    """HateXplain (MAGPIE's preprocessing): 0 normal, 1 offensive, 2 hate; ``<user>``-style placeholders removed."""
    def labels(row: dict[str, str]) -> dict[str, bool] | None:
        value = row["label"].strip()
        if value not in ("0", "1", "2"):
            return None
        known = {"toxic": value != "0"}
        if value != "0":
            known["toxic.hate" if value == "2" else "toxic.offensive"] = True
        return known
    dataset = _table(path, "hatexplain", ",", "text", ("label",), labels)
    dataset.examples = [Example(text, e.labels, e.source, e.weight) for e in dataset.examples
                        if (text := " ".join(_PLACEHOLDER.sub(" ", e.text).split()))]
    return dataset


def _wikitalk(path: Path) -> Dataset:
    """Wikipedia talk comments (CAT ``gc.csv``/``gn.csv``): the raters' ``label``; the ``api`` score is not a label."""
    def labels(row: dict[str, str]) -> dict[str, bool] | None:
        value = row["label"].strip()
        return {"toxic": value == "1"} if value in ("0", "1") else None
    return _table(path, "wikitalk", ",", "text", ("label",), labels)


FORMATS: dict[str, Loader] = {
    "youtube": _youtube, "sms": _sms, "olid": _olid, "davidson": _davidson,
    "jigsaw": _jigsaw, "csv": _generic_csv, "wxr": _wxr, "civil": _civil,
    "stormfront": _stormfront, "hatexplain": _hatexplain, "wikitalk": _wikitalk,
}
