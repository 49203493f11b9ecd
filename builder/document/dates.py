"""How every document writes a date: 2024年3月1日 (no leading zeros, as Chinese documents do)."""

from __future__ import annotations

from datetime import date


def chinese_date(value: date) -> str:
    return f"{value.year}年{value.month}月{value.day}日"
