"""Every loader on small files written for the tests, including the mess real files carry."""
from __future__ import annotations

from pathlib import Path

import pytest

from training.datasets import Dataset, DatasetError, load, register_source, summary

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "datasets"


def write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    return path


def test_youtube_entities_bom_empty_and_bad_bytes(tmp_path: Path) -> None:
    p = write(tmp_path, "Youtube05-X.csv", b"\xef\xbb\xbfCOMMENT_ID,AUTHOR,DATE,CONTENT,CLASS\n"
              b"a,A,d,Check my channel &amp; subscribe&#39;s,1\nb,B,d,lovely song \xff\xfe here,0\n"
              b"c,C,d,   ,0\nd,D,d,no label,\n")
    ds = load(f"youtube:{p}")
    assert [(e.text, dict(e.labels), e.source) for e in ds.examples] == [
        ("Check my channel & subscribe's", {"spam": True}, "youtube:Youtube05-X.csv"),
        ("lovely song \ufffd\ufffd here", {"spam": False}, "youtube:Youtube05-X.csv"),
    ]
    assert ds.skipped == {"empty": 1, "bad-label": 1, "invalid-utf8-repaired": 2}
    assert len(ds.sha256) == 64


def test_sms_with_and_without_header(tmp_path: Path) -> None:
    with_header = write(tmp_path, "a", "Label\tSMS\nham\tSee you at 5\nspam\tWIN a prize &lt;now&gt;\nbroken line\n")
    ds = load(f"sms:{with_header}")
    assert [(e.text, dict(e.labels)) for e in ds.examples] == [("See you at 5", {"spam": False}),
                                                               ("WIN a prize <now>", {"spam": True})]
    assert ds.skipped == {"header": 1, "malformed": 1}
    assert len(load(f"sms:{write(tmp_path, 'b', 'ham' + chr(9) + 'ok then')}").examples) == 1


def test_olid_crlf_and_sub_labels(tmp_path: Path) -> None:
    p = write(tmp_path, "olid.tsv", "id\ttweet\tsubtask_a\tsubtask_b\tsubtask_c\r\n"
              "1\t@USER you are vile\tOFF\tTIN\tIND\r\n2\t@USER nice one\tNOT\tNULL\tNULL\r\n3\tx\tMAYBE\tNULL\tNULL\r\n")
    ds = load(f"olid:{p}")
    assert [dict(e.labels) for e in ds.examples] == [
        {"toxic": True, "toxic.targeted": True, "toxic.individual": True}, {"toxic": False}]
    assert ds.skipped == {"bad-label": 1}


def test_davidson_classes(tmp_path: Path) -> None:
    p = write(tmp_path, "labeled_data.csv", ",count,hate_speech,offensive_language,neither,class,tweet\n"
              "0,3,3,0,0,0,hateful one\n1,3,0,3,0,1,rude one\n2,3,0,0,3,2,fine one\n")
    assert [dict(e.labels) for e in load(f"davidson:{p}").examples] == [
        {"toxic": True, "toxic.hate": True}, {"toxic": True, "toxic.offensive": True}, {"toxic": False}]


def test_jigsaw_sub_labels_and_unlabelled_rows(tmp_path: Path) -> None:
    p = write(tmp_path, "train.csv", 'id,comment_text,toxic,insult,threat\n1,"you, fool",1,1,0\n'
              "2,thanks,0,0,0\n3,test row,-1,-1,-1\n")
    ds = load(f"jigsaw:{p}")
    assert [dict(e.labels) for e in ds.examples] == [
        {"toxic": True, "toxic.insult": True, "toxic.threat": False},
        {"toxic": False, "toxic.insult": False, "toxic.threat": False}]
    assert ds.skipped == {"bad-label": 1}


def test_generic_csv_labels(tmp_path: Path) -> None:
    p = write(tmp_path, "c.csv", 'text,label,topic\n"Fair point, well made",OK,politics\nbuy now,spam,x\n'
              "you clown,toxic,x\nhmm,unsure,x\n")
    ds = load(f"csv:{p}")
    assert [dict(e.labels) for e in ds.examples] == [
        {"spam": False, "toxic": False}, {"spam": True, "toxic": False}, {"spam": False, "toxic": True}]
    assert ds.skipped == {"bad-label": 1}


def test_missing_columns_name_what_was_found(tmp_path: Path) -> None:
    p = write(tmp_path, "c.csv", "body,class\nhello,1\n")
    with pytest.raises(DatasetError, match="needs columns text, label; found body, class"):
        load(f"csv:{p}")


WXR = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:wp="http://wordpress.org/export/1.2/"><channel><item>
<wp:comment><wp:comment_content><![CDATA[Great piece &amp; thanks]]></wp:comment_content><wp:comment_approved>1</wp:comment_approved><wp:comment_type>comment</wp:comment_type></wp:comment>
<wp:comment><wp:comment_content>cheap pills</wp:comment_content><wp:comment_approved>spam</wp:comment_approved></wp:comment>
<wp:comment><wp:comment_content>you people are vermin</wp:comment_content><wp:comment_approved>trash</wp:comment_approved></wp:comment>
<wp:comment><wp:comment_content>undecided</wp:comment_content><wp:comment_approved>0</wp:comment_approved></wp:comment>
<wp:comment><wp:comment_content>linked</wp:comment_content><wp:comment_approved>1</wp:comment_approved><wp:comment_type>pingback</wp:comment_type></wp:comment>
</item></channel></rss>"""


def test_wxr_statuses(tmp_path: Path) -> None:
    ds = load(f"wxr:{write(tmp_path, 'export.xml', WXR)}")
    assert [(e.text, dict(e.labels)) for e in ds.examples] == [
        ("Great piece & thanks", {"spam": False, "toxic": False}), ("cheap pills", {"spam": True}),
        ("you people are vermin", {"toxic": True})]
    assert ds.skipped == {"undecided": 1, "pingback": 1}


def test_wxr_entity_expansion_is_refused(tmp_path: Path) -> None:
    bomb = '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY l2 "&lol;&lol;">]><rss>&l2;</rss>'
    with pytest.raises(DatasetError, match="DOCTYPE"):
        load(f"wxr:{write(tmp_path, 'bomb.xml', bomb)}")


def test_bad_specs(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match="one of"):
        load("nope:/tmp")
    with pytest.raises(DatasetError, match="does not exist"):
        load(f"csv:{tmp_path / 'missing.csv'}")


def test_directory_and_registered_source(tmp_path: Path) -> None:
    write(tmp_path, "a.csv", "text,label\none,ok\n")
    write(tmp_path, "b.csv", "text,label\ntwo,spam\n")
    ds = load(f"csv:{tmp_path}")
    assert [e.source for e in ds.examples] == ["csv:a.csv", "csv:b.csv"]
    assert summary(ds).startswith(f"csv:{tmp_path}: 2 examples (spam 1, toxic 0)")
    register_source("elsewhere", lambda target: Dataset(f"elsewhere:{target}", []))
    assert load("elsewhere:postgresql://db/x").name == "elsewhere:postgresql://db/x"


@pytest.mark.skipif(not SHARED.exists(), reason="../shared/datasets is not beside the repository")
@pytest.mark.parametrize(("spec", "rows", "skipped"), [
    ("youtube:youtube-spam", 1586, {}), ("sms:sms-spam", 5574, {"header": 1}),
    ("olid:olid", 13240, {}), ("davidson:davidson-hate-offensive", 24783, {})])
def test_public_datasets_load_whole(spec: str, rows: int, skipped: dict[str, int]) -> None:
    fmt, folder = spec.split(":")
    ds = load(f"{fmt}:{SHARED / folder}")
    assert (len(ds.examples), dict(ds.skipped)) == (rows, skipped)
