"""Office Open XML helpers shared by the Word and Excel writers, one module per part.

python-docx covers paragraphs, runs, tables and sections; what it lacks (East Asian fonts,
multilevel numbering, complex fields, bookmarks, internal hyperlinks, table-style conditional
formatting, content controls, revision marks, …) lives here, so the writers above never
assemble XML themselves. As in python-docx's `oxml` layer, each element's child order is
declared once, in the module of its part:

  elements   tags, loose elements, placing a child in schema order
  runs       run properties (w:rPr): fonts, language, run border; w:docDefaults
  paragraph  paragraph properties (w:pPr), styles, body paragraphs, runs as python-docx makes them
  numbering  list definitions (w:abstractNum), list instances (w:num), level indents
  fields     complex fields, bookmarks, internal hyperlinks
  settings   w:settings: update fields on opening, theme-font language
  tables     w:tblPr, w:trPr, w:tcPr, table-style header rows
  controls   content controls (w:sdt): text, date, drop-down, check box
  revisions  tracked changes (w:ins / w:del)
  package    reproducible zips, a Document's package bytes, custom and core properties

The writers use them as `from builder.writers import ooxml` then `ooxml.set_fonts(...)`.
"""

from .controls import (
    CHECKBOX_CHECKED,
    CHECKBOX_UNCHECKED,
    W14,
    add_checkbox_control,
    add_date_control,
    add_dropdown_control,
    add_text_control,
    declare_w14,
)
from .elements import (
    OxmlElement,
    get_or_add_child,
    make_element,
    place_in_order,
    qn,
    remove_children,
    successors,
)
from .fields import (
    add_bookmark,
    add_internal_hyperlink,
    append_field,
    bookmark_name,
    field_begin,
    field_end,
)
from .numbering import add_abstract_num, add_num, find_abstract_num, level_indent
from .package import (
    CORE_TEXT_MAX,
    CUSTOM_PROPERTIES_CT,
    CUSTOM_PROPERTIES_PART,
    CUSTOM_PROPERTIES_RT,
    core_text,
    custom_properties_xml,
    normalize_zip,
    normalized_zip_bytes,
    package_bytes,
    set_custom_properties,
)
from .paragraph import (
    append_run,
    body_paragraph,
    clear_body,
    make_run,
    new_run,
    preserved_text,
    run_text,
    set_bottom_border,
    set_numbering,
    set_outline_level,
    set_paragraph_border,
    set_paragraph_style,
    tab_run,
)
from .revisions import (
    append_text,
    deleted_run,
    mark_paragraph_mark,
    mark_row,
    number_revisions,
    revision_mark,
    text_run,
    track_runs,
)
from .runs import (
    doc_defaults_ppr,
    doc_defaults_rpr,
    east_asian_font,
    set_fonts,
    set_highlight,
    set_lang,
    set_run_border,
    strip_theme_fonts,
)
from .settings import remove_update_fields, set_theme_font_lang
from .tables import (
    set_cant_split,
    set_cell_valign,
    set_cell_width,
    set_fixed_layout,
    set_repeat_header,
    set_table_borders,
    set_table_cell_margins,
    set_table_indent,
    set_table_look,
    set_table_no_borders,
    set_table_style_header,
    set_table_width,
    shade_cell,
    style_tblpr,
)

__all__ = [
    # elements
    "OxmlElement",
    "get_or_add_child",
    "make_element",
    "place_in_order",
    "qn",
    "remove_children",
    "successors",
    # runs
    "doc_defaults_ppr",
    "doc_defaults_rpr",
    "east_asian_font",
    "set_fonts",
    "set_lang",
    "set_run_border",
    "set_highlight",
    "strip_theme_fonts",
    # paragraph
    "append_run",
    "body_paragraph",
    "clear_body",
    "make_run",
    "new_run",
    "preserved_text",
    "run_text",
    "set_bottom_border",
    "set_numbering",
    "set_outline_level",
    "set_paragraph_border",
    "set_paragraph_style",
    "tab_run",
    # numbering
    "add_abstract_num",
    "add_num",
    "find_abstract_num",
    "level_indent",
    # fields
    "add_bookmark",
    "add_internal_hyperlink",
    "append_field",
    "bookmark_name",
    "field_begin",
    "field_end",
    # settings
    "remove_update_fields",
    "set_theme_font_lang",
    # tables
    "set_cant_split",
    "set_cell_valign",
    "set_cell_width",
    "set_fixed_layout",
    "set_repeat_header",
    "set_table_borders",
    "set_table_cell_margins",
    "set_table_indent",
    "set_table_look",
    "set_table_no_borders",
    "set_table_style_header",
    "set_table_width",
    "shade_cell",
    "style_tblpr",
    # controls
    "CHECKBOX_CHECKED",
    "CHECKBOX_UNCHECKED",
    "W14",
    "add_checkbox_control",
    "add_date_control",
    "add_dropdown_control",
    "add_text_control",
    "declare_w14",
    # revisions
    "append_text",
    "deleted_run",
    "mark_paragraph_mark",
    "mark_row",
    "number_revisions",
    "revision_mark",
    "text_run",
    "track_runs",
    # package
    "CORE_TEXT_MAX",
    "CUSTOM_PROPERTIES_CT",
    "CUSTOM_PROPERTIES_PART",
    "CUSTOM_PROPERTIES_RT",
    "core_text",
    "custom_properties_xml",
    "normalize_zip",
    "normalized_zip_bytes",
    "package_bytes",
    "set_custom_properties",
]
