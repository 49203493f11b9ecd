"""The data validations of the input cells, with their Chinese prompts and error messages.

Every input cell has one. A choice list goes inline when Excel can take it (at most 255 UTF-16
units, no comma or quote in an option); otherwise the workbook puts it on its hidden 选项 sheet.
A multichoice field is one text cell whose prompt lists the options.
"""

from __future__ import annotations

from collections.abc import Sequence

from openpyxl.worksheet.datavalidation import DataValidation

from builder.document.model import FormField
from builder.writers.xlsx.text import clean, shorten, utf16_units

TEXT_MAX = 500
TEXTAREA_MAX = 2000
EARLIEST_DATE = 36526  # the serial number of 2000-01-01, the earliest date a form accepts


def data_validation(f: FormField, list_source: str | None) -> DataValidation:
    """The data validation of an input cell of type f.type, with its Chinese prompt and error."""
    label = f.label
    need = "（必填）" if f.required else ""
    kind = f.type
    if kind == "date":
        dv = DataValidation("date", operator="greaterThanOrEqual", formula1=str(EARLIEST_DATE))
        prompt = "请输入日期，格式如 2024-01-31（不早于 2000-01-01）。"
        error = "请输入 2000-01-01 以后的有效日期，格式如 2024-01-31。"
    elif kind == "datetime":
        dv = DataValidation("decimal", operator="greaterThanOrEqual", formula1=str(EARLIEST_DATE))
        prompt = "请输入日期和时间，格式如 2024-01-31 14:30。"
        error = "请输入 2000-01-01 以后的日期和时间，格式如 2024-01-31 14:30。"
    elif kind == "number":
        dv = DataValidation(
            "decimal", operator="between", formula1="-1000000000000", formula2="1000000000000"
        )
        prompt, error = "请输入数字。", "此处只能填写数字。"
    elif kind == "money":
        dv = DataValidation("decimal", operator="greaterThanOrEqual", formula1="0")
        prompt, error = "请输入金额（元），保留两位小数。", "金额应为不小于 0 的数字。"
    elif kind == "score":
        dv = DataValidation("whole", operator="between", formula1="1", formula2="5")
        prompt, error = "请输入 1—5 的整数评分，5 分最高。", "评分应为 1 到 5 的整数。"
    elif kind == "choice":
        dv = DataValidation("list", formula1=list_source)
        prompt, error = "请从下拉列表中选择：" + "／".join(f.options), "请从下拉列表中选择一项。"
    elif kind == "multichoice":
        dv = DataValidation("textLength", operator="lessThanOrEqual", formula1=str(TEXT_MAX))
        prompt = "可多选，多项之间用“、”分隔。选项：" + "、".join(f.options)
        error = f"不超过 {TEXT_MAX} 字。"
    elif kind == "signature":
        dv = DataValidation("textLength", operator="lessThanOrEqual", formula1=str(TEXT_MAX))
        prompt, error = "签字：填写签字人姓名，打印后由本人亲笔签名。", f"不超过 {TEXT_MAX} 字。"
    elif kind == "person":
        dv = DataValidation("textLength", operator="lessThanOrEqual", formula1=str(TEXT_MAX))
        prompt, error = "请填写姓名。", f"不超过 {TEXT_MAX} 字。"
    elif kind == "textarea":
        dv = DataValidation("textLength", operator="lessThanOrEqual", formula1=str(TEXTAREA_MAX))
        prompt, error = "可填写多行文字（Alt+Enter 换行）。", f"不超过 {TEXTAREA_MAX} 字。"
    else:  # text, and any type added later
        dv = DataValidation("textLength", operator="lessThanOrEqual", formula1=str(TEXT_MAX))
        prompt, error = "请填写文字。", f"不超过 {TEXT_MAX} 字。"
    if f.help:
        prompt = f"{prompt}{f.help}"
    # Excel refuses a file whose prompt or title is over its limits: 32/255 and 32/225 characters.
    dv.allow_blank = True
    dv.showInputMessage = dv.showErrorMessage = True
    dv.errorStyle = "stop"
    dv.promptTitle = shorten(clean("签字" if kind == "signature" else label + need), 32)
    dv.prompt = shorten(clean(prompt + need), 255)
    dv.errorTitle = shorten(clean(f"{label}填写有误"), 32)
    dv.error = shorten(clean(error), 225)
    return dv


def inline_list(options: Sequence[str]) -> str | None:
    """An inline list formula, or None when Excel cannot take the options inline."""
    if any("," in o or '"' in o for o in options):
        return None
    formula = '"' + ",".join(options) + '"'
    return formula if utf16_units(formula) <= 255 else None
