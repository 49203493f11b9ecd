"""Ids from Chinese titles (builder/document/ids.py): readable pinyin, unique, within the schema."""

import re

from builder.document.ids import IdMaker, slug
from builder.sources.schema import ID_PATTERN


def test_titles_read_as_hyphenated_pinyin():
    assert slug("总则") == "zong-ze"
    assert slug("会议管理") == "hui-yi-guan-li"
    assert slug("運營管理") == "yun-ying-guan-li"  # Traditional script reads the same
    assert slug("（一）目的") == "yi-mu-di"
    assert slug("ISO９００１认证") == "iso9001-ren-zheng"  # full-width digits folded


def test_ids_start_with_a_letter_and_fit_the_schema():
    assert slug("3.1 范围") == "n-3-1-fan-wei"
    long = slug("运营管理制度" * 20)
    assert len(long) <= 63 and re.fullmatch(ID_PATTERN, long)
    assert not long.endswith("-")
    assert slug("、。……") == ""


def test_clashes_and_untitled_units():
    ids = IdMaker({"zong-ze"})
    assert ids.from_title("总则") == "zong-ze-2"
    assert ids.from_title("总则") == "zong-ze-3"
    assert ids.from_title(None, parent="hui-yi", ordinal=4) == "hui-yi-4"
    assert ids.from_title("——", parent="hui-yi", ordinal=4) == "hui-yi-4-2"
    assert ids.child(None, 1) == "item-1"
