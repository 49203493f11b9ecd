"""Formulas: cell references, the formulas of computed fields, the amount in Chinese capitals.

A computed field (`FormField.compute`, an operation and field ids) becomes a formula: SUM,
AVERAGE, days_between (within a table row, or between whole columns), and the amount in Chinese
capitals (大写金额) built from TEXT(…, "[DBNum2][$-804]0"), which Excel and LibreOffice both format
as 壹贰叁 whatever the user's locale.
"""

from __future__ import annotations

from dataclasses import dataclass

from openpyxl.utils import get_column_letter

from builder.document.model import FormField
from builder.errors import WriterError
from builder.writers.xlsx.layout import Layout, ScalarBlock, TableBlock

CAPITALS_FORMAT = "[DBNum2][$-804]0"  # Chinese financial numerals, forced zh-CN


def quote_sheet(name: str) -> str:
    """A sheet name as a formula writes it: 'name', with ' doubled."""
    return "'" + name.replace("'", "''") + "'"


@dataclass(frozen=True)
class Ref:
    """A reference in a formula: one cell, or a range (a whole table column)."""

    expr: str
    is_range: bool


class Formulas:
    """The formula of a computed field, from its (operation, ids)."""

    def __init__(self, layout: Layout):
        self.layout = layout
        self.scalars = {b.field.id: b for b in layout.blocks if isinstance(b, ScalarBlock)}

    def ref(self, ident: str, table: TableBlock | None, row: int | None) -> Ref:
        # A column of the computed field's own table means that row; then the form's fields;
        # then the whole column of any table.
        if table is not None:
            for column, (col, _) in zip(table.field.columns, table.places, strict=False):
                if column.id == ident:
                    return Ref(f"{get_column_letter(col)}{row}", False)
        if ident in self.scalars:
            block = self.scalars[ident]
            return Ref(f"${get_column_letter(block.places[1][0])}${block.row}", False)
        for other in self.layout.tables():
            for column, (col, _) in zip(other.field.columns, other.places, strict=False):
                if column.id == ident:
                    letter = get_column_letter(col)
                    return Ref(f"${letter}${other.first_row}:${letter}${other.last_row}", True)
        raise WriterError(f"表单 {self.layout.form.id}：计算引用了不存在的字段“{ident}”")

    def formula(self, f: FormField, table: TableBlock | None = None, row: int | None = None) -> str:
        op, ids = f.compute
        refs = [self.ref(i, table, row) for i in ids]
        args = ",".join(r.expr for r in refs)
        if op == "sum":
            return f'=IF(COUNT({args})=0,"",SUM({args}))'
        if op == "average":
            return f'=IFERROR(AVERAGE({args}),"")'
        if op == "days_between":
            start, end = refs
            if not start.is_range and not end.is_range:
                return (
                    f"=IF(AND(ISNUMBER({start.expr}),ISNUMBER({end.expr})),"
                    f'{end.expr}-{start.expr},"")'
                )
            return (
                f"=IF(AND(COUNT({start.expr})>0,COUNT({end.expr})>0),"
                f'MAX({end.expr})-MIN({start.expr}),"")'
            )
        if op == "capitals":
            (amount,) = refs
            if amount.is_range:
                return "=" + capitals_formula(f"SUM({amount.expr})", f"COUNT({amount.expr})=0")
            return "=" + capitals_formula(amount.expr, f'{amount.expr}=""')
        raise WriterError(f"表单 {self.layout.form.id}：未知的计算 {op}")


def capitals_formula(value: str, blank: str) -> str:
    """An Excel/LibreOffice expression: `value` in Chinese capitals, e.g. 壹仟贰佰叁拾肆元伍角陆分,
    壹拾元零陆分, 伍角整, 零元整; "" when `blank` holds. Rounded to fen; negative amounts get 负."""
    x = f"ROUND(ABS({value}),2)"
    yuan = f"INT({x})"
    tenths = f"INT(ROUND({x}*10,4))"  # ROUND first: 8.2*10 may be 81.999…
    jiao = f"({tenths}-{yuan}*10)"
    fen = f"(ROUND({x}*100,0)-{tenths}*10)"
    fmt = f'"{CAPITALS_FORMAT}"'
    return (
        f'IFERROR(IF({blank},"",IF({x}=0,"零元整",IF({value}<0,"负","")'
        f'&IF({yuan}>0,TEXT({yuan},{fmt})&"元","")'
        f'&IF({jiao}>0,TEXT({jiao},{fmt})&"角",IF(AND({yuan}>0,{fen}>0),"零",""))'
        f'&IF({fen}>0,TEXT({fen},{fmt})&"分","整"))),"")'
    )
