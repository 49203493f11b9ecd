"""The XLSX layout on its own: column allocation, page breaks, where a hand-made form's cells go,
text measured and fitted to Excel's limits. Every expected value is worked out by hand in the
comments, not taken from the module's constants."""

from __future__ import annotations

import pytest
from openpyxl import Workbook

from builder.document.model import ApprovalStep, Form, FormField, Span
from builder.writers.xlsx.layout import (
    Layout,
    ScalarBlock,
    TableBlock,
    allocate_columns,
    cell_map,
    column_places,
    defined_name,
    input_cells,
    page_breaks,
)
from builder.writers.xlsx.looks import Looks
from builder.writers.xlsx.sheet import put
from builder.writers.xlsx.text import (
    fit_utf16,
    header_footer_text,
    line_count,
    shorten,
    text_height,
    text_width,
    utf16_units,
)

EMOJI = "\U0001f600"  # outside the BMP: two UTF-16 units


# --- column allocation ------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("wanted", "total", "spans"),
    [
        # 15/90 and 75/90 of 24 are exactly 4 and 20
        ([15, 75], 24, [4, 20]),
        # 22/90·24 = 5.87, 68/90·24 = 18.13: floors 5 + 18 = 23; the one left goes to the larger
        # remainder (0.87)
        ([22, 68], 24, [6, 18]),
        # 5.87, 10.67, 7.47: floors 5 + 10 + 7 = 22; the two left go to remainders 0.87, then 0.67
        ([22, 40, 28], 24, [6, 11, 7]),
        # 8/56·24 = 3.43 (four times), 12/56·24 = 5.14 (twice): floors 22; remainders tie at 0.43,
        # the leftmost win: columns 1 and 3
        ([8, 12, 8, 8, 8, 12], 24, [4, 5, 4, 3, 3, 5]),
        # 16/86·24 = 4.47, 14/86·24 = 3.91 (three times), 28/86·24 = 7.81: floors 4+3+7+3+3 = 20;
        # four left: the three 0.91 remainders (left to right), then 0.81
        ([16, 14, 28, 14, 14], 24, [4, 4, 8, 4, 4]),
        # 10/12·4 = 3.33, 1/12·4 = 0.33 twice: floors, at least one, 3+1+1 = 5 > 4: the only
        # column above one gives one back
        ([10, 1, 1], 4, [2, 1, 1]),
        # equal wants share equally
        ([1, 1, 1], 6, [2, 2, 2]),
    ],
)
def test_allocation_splits_the_grid_in_proportion(wanted, total, spans):
    assert allocate_columns(wanted, total) == spans
    assert sum(spans) == total


@pytest.mark.parametrize(
    "wanted",
    [
        [1],
        [3, 1],
        [100, 1, 1, 1, 1],
        [1] * 24,
        [7, 3, 9, 2, 2, 5, 30, 1],
        [0.5, 0.25, 40],
    ],
)
def test_allocation_always_fills_the_grid_with_at_least_one_column_each(wanted):
    spans = allocate_columns(wanted, 24)
    assert sum(spans) == 24
    assert len(spans) == len(wanted)
    assert min(spans) >= 1


def test_more_columns_than_the_grid_is_an_error():
    with pytest.raises(ValueError, match="25 columns do not fit in a grid of 24"):
        allocate_columns([1] * 25, 24)


def test_places_are_consecutive_from_column_a():
    assert column_places([6, 11, 7]) == [(1, 6), (7, 11), (18, 7)]


# --- page breaks ------------------------------------------------------------------------------
def test_without_units_no_break_is_forced():
    # Excel breaks full pages itself; only blocks kept together need a manual break.
    assert page_breaks([300.0] * 10, [], 700.0) == []


def test_a_block_that_does_not_fit_the_rest_of_the_page_starts_a_new_one():
    # rows 1–3 use 300 of 450 pt; rows 4–6 (300 pt) would end at 600: break after row 3
    assert page_breaks([100.0] * 10, [(4, 6, 5)], 450.0) == [3]


def test_a_block_that_fits_stays_where_it_is():
    # rows 1–6 are 600 pt on a 700 pt page
    assert page_breaks([100.0] * 10, [(4, 6, 5)], 700.0) == []


def test_a_block_taller_than_a_page_keeps_only_its_head_together():
    # the block (rows 2–6, 1000 pt) cannot fit any page; its head (rows 2–3, 400 pt) does not
    # fit after row 1 (200 + 400 > 500): break after row 1
    assert page_breaks([200.0] * 6, [(2, 6, 3)], 500.0) == [1]
    # head = row 2 only (200 pt): 100 + 200 <= 500, no break
    assert page_breaks([100.0, 200.0, 200.0, 200.0, 200.0], [(2, 5, 2)], 500.0) == []


def test_a_block_at_the_top_of_the_sheet_never_breaks_before_itself():
    # even when its head (row 1, 600 pt) is taller than the page
    assert page_breaks([600.0, 100.0], [(1, 2, 1)], 500.0) == []


def test_rows_running_over_a_page_start_the_count_again():
    # row 2 does not fit after row 1 (800 > 500), so Excel puts it on page 2 (400 used); rows
    # 3–4 (100 pt) then fit exactly: 500, not more than the page
    assert page_breaks([400.0, 400.0, 50.0, 50.0], [(3, 4, 3)], 500.0) == []
    # one point more and they no longer fit: break after row 2
    assert page_breaks([400.0, 400.0, 50.0, 51.0], [(3, 4, 3)], 500.0) == [2]


# --- a hand-made form -------------------------------------------------------------------------
def F(id: str, label: str, type: str = "text", **kw) -> FormField:
    return FormField(id=id, label=label, type=type, **kw)


TINY = Form(
    id="tiny",
    code="T-01",
    title="小表",
    title_en=None,
    purpose=(Span("测试。"),),
    instructions=(),
    fields=(
        F("holder", "经办人", "person", example="张三"),  # no hint: label | input
        F("kind", "类型", "choice", options=("甲", "乙")),  # a hint: label | input | hint
        F("items", "明细", "rows", rows=3, columns=(F("item", "项目"), F("cost", "金额", "money"))),
    ),
    clause_id=None,
    clause_label=None,
    approval_chain=(ApprovalStep("部门经理", 2), ApprovalStep("总经理", 3)),
)


def test_the_tiny_form_puts_every_block_where_worked_out_by_hand():
    # Rows 1–3: company, title, 表单编号…; row 4 blank; 5 用途, 6 填写说明 (no clause).
    # holder: a gap (7), then row 8; kind follows in row 9 (consecutive fields).
    # items: gap 10, title 11, header 12, inputs 13–15. Approval: gap 16, title 17, header 18,
    # steps 19–20. Examples: gap 21, title 22, holder's example 23.
    lay = Layout(TINY)
    assert (lay.grid, lay.last_column) == (24, "X")
    assert (lay.purpose_row, lay.instructions_row, lay.clause_row) == (5, 6, None)
    holder, kind, items = lay.blocks
    assert isinstance(holder, ScalarBlock) and isinstance(kind, ScalarBlock)
    assert isinstance(items, TableBlock)
    # wanted [22, 68] → [6, 18]; with a hint [22, 40, 28] → [6, 11, 7]
    assert (holder.row, holder.places) == (8, [(1, 6), (7, 18)])
    assert (kind.row, kind.places) == (9, [(1, 6), (7, 11), (18, 7)])
    # both columns want 14 units (text, money; the labels are narrower): 12 grid columns each
    assert (items.title_row, items.header_row, items.first_row, items.last_row) == (11, 12, 13, 15)
    assert items.places == [(1, 12), (13, 12)]
    # approval [16, 14, 28, 14, 14] → [4, 4, 8, 4, 4]: A, E, I, Q, U
    a = lay.approval
    assert (a.title_row, a.header_row, a.first_row) == (17, 18, 19)
    assert a.places == [(1, 4), (5, 4), (9, 8), (17, 4), (21, 4)]
    assert (lay.examples_row, lay.last_row) == (22, 23)
    # (gap above, last row, last row kept with the first when the block is taller than a page)
    assert lay.keep_together() == [(10, 15, 14), (16, 20, 19), (21, 23, 24)]


def test_the_tiny_form_cell_map_and_input_cells():
    assert cell_map(TINY) == {
        "holder": "G8",
        "kind": "G9",
        "items": "A13:X15",
        "items.item": "A13:A15",
        "items.cost": "M13:M15",
        "approval:opinion": "I19:I20",
        "approval:signature": "Q19:Q20",
        "approval:date": "U19:U20",
    }
    cells = input_cells(TINY)
    assert cells == {
        "holder": "G8",
        "kind": "G9",
        "items.1.item": "A13",
        "items.1.cost": "M13",
        "items.2.item": "A14",
        "items.2.cost": "M14",
        "items.3.item": "A15",
        "items.3.cost": "M15",
        "approval_chain.1.opinion": "I19",
        "approval_chain.2.opinion": "I20",
        "approval_chain.1.signature": "Q19",
        "approval_chain.2.signature": "Q20",
        "approval_chain.1.date": "U19",
        "approval_chain.2.date": "U20",
    }


def test_a_table_wider_than_the_grid_widens_it():
    wide = F(
        "wide",
        "宽表",
        "rows",
        rows=1,
        columns=tuple(F(f"c{i}", f"列{i}", "score") for i in range(30)),
    )
    form = Form("wide", "W-01", "宽表", None, (Span("x"),), (), (wide,), None, None)
    lay = Layout(form)
    # 30 equal columns: a grid of 30, one column each, AD the last; no examples, no approval:
    # gap row 7, title 8, header 9, input row 10
    assert (lay.grid, lay.last_column, lay.last_row) == (30, "AD", 10)
    assert lay.tables()[0].places == [(i, 1) for i in range(1, 31)]
    assert cell_map(form)["wide"] == "A10:AD10"


@pytest.mark.parametrize(
    ("key", "name"),
    [
        ("topic", "f_topic"),
        ("meeting-time", "f_meeting_time"),
        ("tasks.due", "f_tasks.due"),
        ("approval:opinion", "approval.opinion"),
    ],
)
def test_defined_names(key, name):
    assert defined_name(key) == name


# --- text: widths, lines, Excel's limits ------------------------------------------------------
def test_text_width_counts_cjk_characters_as_1_85():
    assert text_width("ab中") == pytest.approx(3.85)
    assert text_width("ab中", size=20) == pytest.approx(7.7)


def test_line_count_and_height():
    # 10 CJK characters are 18.5 units; a cell 12.5 wide has 10 usable units: 2 lines, each
    # line 14.5 pt, plus 6 pt
    assert line_count("中" * 10, 12.5) == 2
    assert text_height("中" * 10, 12.5) == pytest.approx(35.0)
    # 2.5 units of padding: 18.5 units fit on one line of a cell 21 wide, not of one 20.9 wide
    assert line_count("中" * 10, 21.0) == 1
    assert line_count("中" * 10, 20.9) == 2
    # every line of a multi-line text counts, an empty one too
    assert line_count("a\n\nb", 12.5) == 3
    assert text_height("a", 12.5) == pytest.approx(20.5)  # one line: 14.5 + 6
    assert text_height("a", 12.5, minimum=32) == 32


def test_utf16_units_count_characters_outside_the_bmp_twice():
    assert utf16_units("ab中") == 3
    assert utf16_units("a" + EMOJI) == 3


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a" * 32767, "a" * 32767),  # at the limit: unchanged
        ("a" * 32768, "a" * 32766 + "…"),  # one over: 32,766 units and the ellipsis
        ("a" + EMOJI * 16383, "a" + EMOJI * 16383),  # 1 + 2·16,383 = 32,767 units: unchanged
        # 40,000 units: the first 32,766 units are 16,383 emoji, then the ellipsis
        (EMOJI * 20000, EMOJI * 16383 + "…"),
        # 32,769 units: "a" and 16,382 emoji are 32,765 units; one more emoji would make 32,767 >
        # 32,766, and half of one is no character: 32,766 units in all
        ("a" + EMOJI * 16384, "a" + EMOJI * 16382 + "…"),
    ],
)
def test_text_is_fitted_to_excels_cell_limit_in_utf16_units(text, expected):
    assert shorten(text, 32767) == expected
    assert utf16_units(shorten(text, 32767)) <= 32767


def test_a_cell_written_with_put_holds_at_most_32767_utf16_units():
    ws = Workbook().active
    cell = put(ws, 1, 1, 1, EMOJI * 20000, Looks.TEXT)
    assert cell.value == EMOJI * 16383 + "…"
    assert put(ws, 2, 1, 1, "x" * 32767, Looks.TEXT).value == "x" * 32767
    assert put(ws, 4, 1, 1, "x" * 32768, Looks.TEXT).value == "x" * 32766 + "…"
    # text is text, even when it looks like a formula
    formula_like = put(ws, 3, 1, 1, "=1+1", Looks.TEXT)
    assert (formula_like.value, formula_like.data_type) == ("=1+1", "s")


def test_fit_never_splits_a_surrogate_pair():
    assert fit_utf16(EMOJI * 3, 5) == EMOJI * 2
    assert fit_utf16("ab", 5) == "ab"


def test_header_and_footer_text_is_escaped_and_kept_to_60_units():
    assert header_footer_text("A&B") == "A&&B"
    # 70 characters: the first 59 and the ellipsis
    assert header_footer_text("字" * 70) == "字" * 59 + "…"
    # 40 '&' escape to 80 units; shortened until 2·k + 1 <= 60: k = 29 and the ellipsis
    assert header_footer_text("&" * 40) == "&&" * 29 + "…"
