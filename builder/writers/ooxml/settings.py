"""Document settings (settings.xml): no refresh of fields on opening, the theme-font language."""

from __future__ import annotations

from .elements import qn, remove_children


def remove_update_fields(settings_element) -> None:
    """Drop w:updateFields (which a restyled reference.docx could bring along): with it, Word
    asks every reader on every opening 「此文档包含的域可能引用了其他文件。是否更新此文档中的
    域？」. The writers' fields carry their results instead (builder.writers.docx.pagination)."""
    remove_children(settings_element, "w:updateFields")


def set_theme_font_lang(settings_element, east_asia: str) -> None:
    """w:themeFontLang: which language Word resolves theme fonts for (only where the template
    already has one)."""
    lang = settings_element.find(qn("w:themeFontLang"))
    if lang is None:
        return
    lang.set(qn("w:eastAsia"), east_asia)
