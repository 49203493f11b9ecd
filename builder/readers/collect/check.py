"""Typing a form's raw values by its definition, and the problems a person must look at.

A value becomes: text → str; number, money → int or float; score → int; date → ISO date;
datetime → ISO "YYYY-MM-DDTHH:MM"; choice → one option; multichoice → the list of options ticked;
empty → None (the placeholder of an untouched control is empty). Problems: a required field left
empty, a value of the wrong type, an option not offered, a computed field that differs from its
recomputation.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from builder.document.model import Form, FormField

_DATE = re.compile(r"^\s*(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?\s*$")
_DATETIME = re.compile(
    r"^\s*(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?\s*[T ]?\s*"
    r"(\d{1,2})\s*[:：时]\s*(\d{1,2})\s*分?(?::\d{1,2})?\s*$"
)
_SEPARATORS = re.compile(r"[、，,；;/／\n]+")
TEXT_TYPES = ("text", "textarea", "person", "signature")


class Problem(Exception):
    """A value that is not what its field takes; the message is Chinese."""


def _number(text) -> Decimal:
    if isinstance(text, bool):
        raise Problem("应为数字")
    if isinstance(text, int | float | Decimal):
        return Decimal(str(text))
    cleaned = re.sub(r"[,，\s¥￥元]", "", str(text))
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise Problem(f"“{text}”不是数字") from None
    if not value.is_finite():
        raise Problem(f"“{text}”不是数字")
    return value


def _plain(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


def _serial(value) -> datetime | None:
    """An Excel/Calc date serial number (1900 date system) as a date-time."""
    if isinstance(value, int | float) and not isinstance(value, bool) and 1 <= value < 2958466:
        return datetime(1899, 12, 30) + timedelta(days=float(value))
    return None


def to_date(value) -> date:
    if _serial(value):
        return _serial(value).date()
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    match = _DATE.match(str(value))
    if match:
        try:
            return date(*(int(g) for g in match.groups()))
        except ValueError:
            pass
    raise Problem(f"“{value}”不是有效日期（应为 年-月-日）")


def to_datetime(value) -> datetime:
    if _serial(value):
        stamp = _serial(value) + timedelta(seconds=30)  # round to the minute
        return stamp.replace(second=0, microsecond=0)
    if isinstance(value, datetime):
        return value.replace(second=0, microsecond=0)
    match = _DATETIME.match(str(value))
    if match:
        try:
            return datetime(*(int(g) for g in match.groups()))
        except ValueError:
            pass
    raise Problem(f"“{value}”不是有效的日期时间（应为 年-月-日 时:分）")


def typed(field: FormField, value):
    """The typed value of one input (None when empty); raises Problem."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    kind = field.type
    if kind == "multichoice":
        chosen = value if isinstance(value, list) else _SEPARATORS.split(str(value))
        chosen = [c.strip() for c in chosen if c and c.strip()]
        unknown = [c for c in chosen if c not in field.options]
        if unknown:
            raise Problem(f"“{'、'.join(unknown)}”不是可选项（{'、'.join(field.options)}）")
        return [o for o in field.options if o in chosen] or None
    if kind in ("number", "money", "score"):
        number = _number(value)
        if kind == "money":
            return _plain(number.quantize(Decimal("0.01"), ROUND_HALF_UP))
        if kind == "score":
            if number != number.to_integral_value() or not 1 <= number <= 5:
                raise Problem(f"“{value}”不是 1—5 的评分")
            return int(number)
        return _plain(number)
    if kind == "date":
        return to_date(value).isoformat()
    if kind == "datetime":
        return to_datetime(value).isoformat(timespec="minutes")
    text = value if isinstance(value, str) else _cell_text(value)
    text = text.strip()
    if kind == "choice" and text not in field.options:
        raise Problem(f"“{text}”不是可选项（{'／'.join(field.options)}）")
    return text


def _cell_text(value) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.isoformat(sep=" ", timespec="minutes")
    return str(value)


# -- computed fields --------------------------------------------------------------------------

_DIGITS = "零壹贰叁肆伍陆柒捌玖"
_UNITS = ["", "拾", "佰", "仟"]
_SECTIONS = ["", "万", "亿", "万亿"]


def capitals(amount: Decimal) -> str:
    """An amount in Chinese capitals as financial forms write it (贰仟肆佰陆拾陆元整)."""
    amount = amount.quantize(Decimal("0.01"), ROUND_HALF_UP)
    negative = amount < 0
    cents = int(abs(amount) * 100)
    yuan, jiao, fen = cents // 100, cents // 10 % 10, cents % 10
    out = ""
    if yuan:
        sections, section_index, need_zero = [], 0, False
        while yuan:
            yuan, part = divmod(yuan, 10000)
            sections.append((part, section_index))
            section_index += 1
        for index, (part, level) in enumerate(reversed(sections)):
            if part == 0:
                need_zero = True
                continue
            text, zero = "", False
            for position in range(3, -1, -1):
                digit = part // 10**position % 10
                if digit == 0:
                    zero = bool(text)
                    continue
                if zero or (need_zero and not text) or (index and not text and part < 1000):
                    text += "零"
                text += _DIGITS[digit] + _UNITS[position]
                zero = need_zero = False
            out += text + _SECTIONS[level]
        out += "元"
    if not jiao and not fen:
        return ("负" if negative else "") + ((out or "零元") + "整")
    if jiao:
        out += _DIGITS[jiao] + "角"
    elif out:
        out += "零"
    if fen:
        out += _DIGITS[fen] + "分"
    return ("负" if negative else "") + out


def _is_number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def recompute(form: Form, field: FormField, values: dict, rows: dict[str, list[dict]]):
    """The value a computed field should show from the other values, or None when its inputs
    are empty. `values`: field id → typed value; `rows`: rows field id → its rows."""
    operation, ids = field.compute
    numbers: list[Decimal] = []
    for ident in ids:
        if ident in values:
            if _is_number(values[ident]):
                numbers.append(Decimal(str(values[ident])))
            elif isinstance(values[ident], str) and operation == "capitals":
                return None
            continue
        for table in rows.values():
            numbers += [Decimal(str(r[ident])) for r in table if _is_number(r.get(ident))]
    if operation == "sum":
        return _plain(sum(numbers, Decimal(0))) if numbers else None
    if operation == "average":
        return float(round(sum(numbers) / len(numbers), 2)) if numbers else None
    if operation == "capitals":
        return capitals(numbers[0]) if numbers else None
    return None  # days_between lives in rows; not recomputed here
