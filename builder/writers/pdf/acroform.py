"""Raw AcroForm objects: the one place that edits PDF form dictionaries (with pypdf).

WeasyPrint writes each HTML control as a widget whose /T is the control's `name` attribute, with the
control's font embedded whole and no export values for check boxes. `finish` turns that into the
form the handbook promises (see builder.writers.pdf.forms):

- fields use the reader-supplied CJK font (builder.document.fonts.FIELD_FONT) through /DR and /DA,
  and the stand-in font WeasyPrint embedded for the controls is dropped;
- dotted names become PDF's field hierarchy (`decisions.3.owner` is `owner` in `3` in `decisions`);
- flags (required, read-only, multi-line), alignment, check-box export values (/Opt) and the
  calculation scripts of computed fields are set from the writer's Control list;
- document information (with the custom entries /DocNumber, /Version, /ControlStatus, …) is
  set from builder.document.properties and dated by the manual's effective date, so the same input
  gives the same bytes;
- every real number outside the content streams is written as PDFium writes it back (see
  `_pdfium_stable_numbers`), so that a form signed for form filling (builder.release.sign) and
  then filled and saved incrementally in PDFium still validates as form filling only.

What a PDFium incremental save holds (pypdfium2 5.x, PDFium 159; issue 19): the filled fields with
their new /V and /AP and the appearance streams, and also a re-serialised copy of every object
PDFium happened to load, the catalog, the page tree, the page, its resources and fonts, unchanged
in content. pyhanko's difference analysis ignores an overwritten object only when it is
*identical* (pyhanko.sign.diff_analysis.policies._is_id, which compares numbers by value and type).
PDFium parses reals as 32-bit floats and writes the shortest decimal that reads back to the same
float, and writes an integral real as an integer: WeasyPrint's `595.275591` came back as `595.2756`,
pypdf's `0.0` as `0`, and pyhanko rated the whole update "other modifications" (a widget's /Rect
"changed"). Written with at most six significant digits, and integral values as integers, each
number reads back from a float32 to itself, so PDFium's copies are identical and pyhanko's
standard policy accepts the update as form filling without any policy of our own.

The file keeps pypdf's classic cross-reference table on purpose. Packed into object streams (an
xref stream) a form was half the size, but PDFium's incremental save of such a file (a reader
filling the form) appends an xref stream without /Type /XRef that qpdf and pypdf cannot read:
the filled form was damaged. The tag tree is kept small instead (tags.slim_structure).
"""

from __future__ import annotations

import io
import json
import re

from builder.document import fonts
from builder.errors import BuildError

# /Ff bits (ISO 32000-1, 12.7.3.1 and 12.7.4)
READ_ONLY = 1 << 0
REQUIRED = 1 << 1
MULTILINE = 1 << 12
DO_NOT_SPELL_CHECK = 1 << 22
COMBO = 1 << 17

_PLAIN_NAME = re.compile(r"[A-Za-z0-9]+")
FONT_RESOURCE = "/STSong"  # the field font's name in the AcroForm resources (/DR)

# STSong-Light's metrics as PDF readers know them (Adobe's), for the font dictionary.
_DESCRIPTOR = {
    "Flags": 6,
    "FontBBox": (-134, -254, 1001, 905),
    "ItalicAngle": 0,
    "Ascent": 905,
    "Descent": -254,
    "CapHeight": 626,
    "StemV": 48,
}
_WIDTHS = (1, 95, 500, 814, 939, 500, 7712, 7716, 500, 22127, 22357, 500)
# Adobe-CNS1 (MSung-Light): the half-width Latin CIDs 1–98 and 13648–13742.
_WIDTHS_CNS1 = (1, 98, 500, 13648, 13742, 500)


def finish(
    pdf: bytes, controls, *, info: dict[str, str], standin: str, script: str = "zh-Hans"
) -> bytes:
    """The finished form: `pdf` as WeasyPrint wrote it, `controls` as the writer named them,
    its document information replaced by `info` (names without '/', dates included: see
    builder.document.properties)."""
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    if "/AcroForm" in writer.root_object:
        _finish_fields(writer, controls, standin, script)
    elif controls:
        raise BuildError("内部错误：WeasyPrint 没有写出 PDF 表单字段")
    writer.metadata = {
        **{f"/{key}": value for key, value in info.items()},
        "/Producer": f"{info['Creator']} (WeasyPrint, pypdf)",
    }
    writer.compress_identical_objects()  # drops the stand-in font, now unreferenced
    _compress_streams(writer)
    _pdfium_stable_numbers(writer)
    _shorter_strings(writer)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _compress_streams(writer) -> None:
    """Flate-compress every stream WeasyPrint left uncompressed. The form is laid out with
    `uncompressed_pdf=True`: pypdf reads a plain file faster than one of object streams, and
    the streams are compressed here instead; 8% less CPU per form, the same size."""
    from pypdf.generic import StreamObject

    for i, obj in enumerate(writer._objects):
        if isinstance(obj, StreamObject) and "/Filter" not in obj:
            encoded = obj.flate_encode()
            encoded.indirect_reference = obj.indirect_reference
            writer._objects[i] = encoded


def _shorter_strings(writer) -> None:
    """Write each text string as a literal string of its own bytes. pypdf writes a literal
    string with every byte that is not a letter, digit or space escaped as \\ooo (four bytes
    each), or a byte string as hex (two), so a Chinese tooltip (/TU, UTF-16) cost eight or four
    bytes a character. ISO 32000-1 (7.3.4.2) lets a literal string hold any byte, escaping only
    the backslash, the parentheses and a carriage return (which a reader would take for a line
    end): two bytes a character. Encrypted PDFs hold such strings everywhere, so every reader
    takes them; a form with 120 fields is about 18 KB smaller than with pypdf's escapes."""
    from pypdf.generic import ArrayObject, ByteStringObject, DictionaryObject, TextStringObject

    class LiteralBytes(ByteStringObject):
        def write_to_stream(self, stream, encryption_key=None) -> None:
            escaped = (
                self.replace(b"\\", b"\\\\")
                .replace(b"(", b"\\(")
                .replace(b")", b"\\)")
                .replace(b"\r", b"\\r")
            )
            stream.write(b"(" + escaped + b")")

    def shorter(value):
        if isinstance(value, TextStringObject):
            return LiteralBytes(value.get_encoded_bytes())
        return value

    for obj in writer._objects:  # every object the writer will write
        if isinstance(obj, DictionaryObject):
            for key, value in list(obj.items()):
                obj[key] = shorter(value)
                if isinstance(value, ArrayObject):
                    value[:] = [shorter(v) for v in value]
        elif isinstance(obj, ArrayObject):
            obj[:] = [shorter(v) for v in obj]


def _finish_fields(writer, controls, standin: str, script: str = "zh-Hans") -> None:
    from pypdf.generic import ArrayObject, NameObject, TextStringObject

    acroform = writer.root_object["/AcroForm"]
    by_name = {c.name: c for c in controls}
    font = _field_font(writer, script)
    acroform[NameObject("/DR")] = _dict({"/Font": _dict({FONT_RESOURCE: font})})
    acroform[NameObject("/DA")] = TextStringObject(f"{FONT_RESOURCE} 10 Tf 0 g")

    # WeasyPrint also lists each radio widget among the fields; its group is the field.
    fields = [ref for ref in acroform["/Fields"] if "/Parent" not in ref.get_object()]
    seen: set[str] = set()
    for ref in fields:
        field = ref.get_object()
        name = str(field["/T"])
        control = by_name.get(name)
        if control is None:
            raise BuildError(f"内部错误：PDF 表单中出现了未定义的字段 {name}")
        seen.add(name)
        _set_up(field, control)
    if seen != set(by_name):
        missing = sorted(set(by_name) - seen)
        raise BuildError(f"内部错误：PDF 表单缺少字段 {', '.join(missing[:5])}")

    acroform[NameObject("/Fields")] = _nest(writer, fields)
    order = [ref for ref in _terminals(acroform["/Fields"]) if "/AA" in ref.get_object()]
    if order:
        acroform[NameObject("/CO")] = ArrayObject(order)
    _drop_standin(writer, standin)


def _dict(values: dict):
    from pypdf.generic import DictionaryObject, NameObject

    return DictionaryObject({NameObject(k): v for k, v in values.items()})


def _field_font(writer, script: str = "zh-Hans"):
    """The Type0 font dictionary of the script's field font (fonts.field_font: STSong-Light, or
    MSung-Light for Traditional; not embedded), with an identity ToUnicode map so that tools
    which fill forms (pypdf, for one) can encode text for it."""
    from pypdf.generic import ArrayObject, NameObject, NumberObject, StreamObject, TextStringObject

    name, cmap, (registry, ordering, supplement) = fonts.field_font(script)
    widths = _WIDTHS_CNS1 if ordering == "CNS1" else _WIDTHS
    descriptor = _dict(
        {
            "/Type": NameObject("/FontDescriptor"),
            "/FontName": NameObject(f"/{name}"),
            **{
                f"/{k}": (
                    ArrayObject(NumberObject(x) for x in v)
                    if isinstance(v, tuple)
                    else NumberObject(v)
                )
                for k, v in _DESCRIPTOR.items()
            },
        }
    )
    cid_font = _dict(
        {
            "/Type": NameObject("/Font"),
            "/Subtype": NameObject("/CIDFontType0"),
            "/BaseFont": NameObject(f"/{name}"),
            "/CIDSystemInfo": _dict(
                {
                    "/Registry": TextStringObject(registry),
                    "/Ordering": TextStringObject(ordering),
                    "/Supplement": NumberObject(supplement),
                }
            ),
            "/FontDescriptor": writer._add_object(descriptor),
            "/DW": NumberObject(1000),
            "/W": ArrayObject(NumberObject(x) for x in widths),
        }
    )
    to_unicode = StreamObject()
    to_unicode.set_data(_identity_to_unicode())
    font = _dict(
        {
            "/Type": NameObject("/Font"),
            "/Subtype": NameObject("/Type0"),
            "/BaseFont": NameObject(f"/{name}-{cmap}"),
            "/Encoding": NameObject(f"/{cmap}"),
            "/DescendantFonts": ArrayObject([writer._add_object(cid_font)]),
            "/ToUnicode": writer._add_object(to_unicode.flate_encode()),
        }
    )
    return writer._add_object(font)


def _identity_to_unicode() -> bytes:
    """A ToUnicode CMap for a UCS-2 encoding: every two-byte code is its own code point."""
    lines = [
        b"/CIDInit /ProcSet findresource begin",
        b"12 dict begin",
        b"begincmap",
        b"/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def",
        b"/CMapName /Adobe-Identity-UCS2 def",
        b"/CMapType 2 def",
        b"2 begincodespacerange",
        b"<0000> <D7FF>",
        b"<E000> <FFFF>",
        b"endcodespacerange",
    ]
    highs = [h for h in range(256) if not 0xD8 <= h <= 0xDF]  # no surrogates in UCS-2
    for i in range(0, len(highs), 100):
        chunk = highs[i : i + 100]
        lines.append(f"{len(chunk)} beginbfrange".encode())
        lines += [f"<{h:02X}00> <{h:02X}FF> <{h:02X}00>".encode() for h in chunk]
        lines.append(b"endbfrange")
    lines += [b"endcmap", b"CMapName currentdict /CMap defineresource pop", b"end", b"end"]
    return b"\n".join(lines)


def _set_up(field, control) -> None:
    """One terminal field, as WeasyPrint wrote it, set up as `control` says."""
    from pypdf.generic import ArrayObject, NameObject, NumberObject, TextStringObject

    field[NameObject("/TU")] = TextStringObject(control.label)
    flags = int(field.get("/Ff", 0))
    if control.required:
        flags |= REQUIRED
    if control.read_only:
        flags |= READ_ONLY
    if control.kind in ("radio", "checkbox"):
        _set_export_values(field, control.options)
        if control.kind == "checkbox":
            field[NameObject("/AS")] = NameObject("/Off")
            field[NameObject("/V")] = NameObject("/Off")
    else:  # text and combo
        field[NameObject("/DA")] = TextStringObject(f"{FONT_RESOURCE} {control.font_size:g} Tf 0 g")
        if control.kind == "combo":
            field[NameObject("/Opt")] = ArrayObject(TextStringObject(o) for o in control.options)
            flags |= COMBO
        else:
            flags |= DO_NOT_SPELL_CHECK
            if control.multiline:
                flags |= MULTILINE
            if control.align:
                field[NameObject("/Q")] = NumberObject(control.align)
        if control.compute:
            field[NameObject("/AA")] = _dict(
                {
                    "/C": _dict(
                        {
                            "/S": NameObject("/JavaScript"),
                            "/JS": TextStringObject(_calculation(control)),
                        }
                    )
                }
            )
    field[NameObject("/Ff")] = NumberObject(flags)


def _set_export_values(field, options) -> None:
    """Make the button field's export values the option labels.

    A label that is a plain ASCII word ("1" to "5" of a score) is itself the widget's on-state name,
    as every reader understands. Any other label goes in /Opt, the on-state names then being the
    widgets' positions (/0, /1, …): ISO 32000's way to give a button a Unicode export value.
    """
    from pypdf.generic import ArrayObject, NameObject, TextStringObject

    if "/Kids" in field:  # a radio group; WeasyPrint gives each widget the group's /T and /FT too,
        widgets = [kid.get_object() for kid in field["/Kids"]]  # which would make it a field
        for widget in widgets:
            for key in ("/T", "/TU", "/FT"):
                widget.pop(NameObject(key), None)
    else:  # a check box: field and widget in one
        widgets = [field]
    plain = all(_PLAIN_NAME.fullmatch(o) for o in options)
    for i, (widget, option) in enumerate(zip(widgets, options)):
        appearances = widget["/AP"]["/N"]
        (on,) = [key for key in appearances if key != "/Off"]
        appearances[NameObject(f"/{option}" if plain else f"/{i}")] = appearances.pop(on)
    if plain:
        field.pop(NameObject("/Opt"), None)
    else:
        field[NameObject("/Opt")] = ArrayObject(TextStringObject(o) for o in options)


def _calculation(control) -> str:
    """The calculate script of a computed field (Acrobat JavaScript)."""
    operation, names = control.compute
    names_js = json.dumps(list(names))
    number = (
        "function num(n){var v=this.getField(n);if(!v)return null;"
        "v=String(v.valueAsString).replace(/[,，\\s]/g,'');"
        "return v===''||isNaN(v)?null:Number(v);}"
    )
    if operation in ("sum", "average"):
        done = (
            "event.value=c?(s/c).toFixed(2):'';"
            if operation == "average"
            else "event.value=c?"
            + ("s.toFixed(2)" if control.type == "money" else "String(Math.round(s*100)/100)")
            + ":'';"
        )
        return (
            f"{number}var s=0,c=0,f={names_js};"
            "for(var i=0;i<f.length;i++){var v=num.call(this,f[i]);if(v!==null){s+=v;c++;}}" + done
        )
    if operation == "days_between" and len(names) == 2:
        return (
            "function day(n){var f=this.getField(n);"
            "var m=f?/^(\\d{4})\\D(\\d{1,2})\\D(\\d{1,2})/.exec(f.valueAsString):null;"
            "return m?Date.UTC(+m[1],m[2]-1,+m[3]):null;}"
            f"var a=day.call(this,{json.dumps(names[0])}),b=day.call(this,{json.dumps(names[1])});"
            "event.value=(a===null||b===null)?'':String(Math.round((b-a)/864e5));"
        )
    if operation == "capitals" and len(names) == 1:
        return (
            number + "var n=num.call(this," + json.dumps(names[0]) + ");"
            "function cap(v){var n=Math.round(v*100);if(n<0||n>=1e15)return '';"
            "var D='零壹贰叁肆伍陆柒捌玖',U=['','拾','佰','仟'],G=['','万','亿','万'];"
            "var y=Math.floor(n/100),j=Math.floor(n/10)%10,f=n%10,s='',t=String(y),z=false,a=false;"
            "if(y>0){for(var i=0;i<t.length;i++){var d=+t.charAt(i),p=t.length-1-i,q=p%4;"
            "if(d===0){z=true;}else{if(z)s+='零';z=false;a=true;s+=D.charAt(d)+U[q];}"
            "if(q===0){if(a)s+=G[p/4];a=false;}}s+='元';}"
            "if(j===0&&f===0)return s?s+'整':'零元整';"
            "if(j>0)s+=D.charAt(j)+'角';else if(y>0)s+='零';"
            "return f>0?s+D.charAt(f)+'分':s+'整';}"
            "event.value=n===null?'':cap(n);"
        )
    return "event.value='';"


def _nest(writer, fields):
    """Turn dotted /T names into PDF's field hierarchy; returns the new root field list."""
    from pypdf.generic import ArrayObject, NameObject, TextStringObject

    roots = ArrayObject()
    parents: dict[str, object] = {}  # dotted prefix → indirect reference of its node
    for ref in fields:
        field = ref.get_object()
        parts = str(field["/T"]).split(".")
        parent_ref = None
        for depth in range(1, len(parts)):
            prefix = ".".join(parts[:depth])
            if prefix not in parents:
                node = _dict({"/T": TextStringObject(parts[depth - 1]), "/Kids": ArrayObject()})
                node_ref = writer._add_object(node)
                if parent_ref is None:
                    roots.append(node_ref)
                else:
                    node[NameObject("/Parent")] = parent_ref
                    parent_ref.get_object()["/Kids"].append(node_ref)
                parents[prefix] = node_ref
            parent_ref = parents[prefix]
        field[NameObject("/T")] = TextStringObject(parts[-1])
        if parent_ref is None:
            roots.append(ref)
        else:
            field[NameObject("/Parent")] = parent_ref
            parent_ref.get_object()["/Kids"].append(ref)
    return roots


def _terminals(fields):
    """The terminal fields below `fields`, depth first, in order."""
    for ref in fields:
        node = ref.get_object()
        kids = node.get("/Kids", [])
        if kids and any("/T" in k.get_object() for k in kids):
            yield from _terminals(kids)
        else:
            yield ref


def _pdfium_stable_numbers(writer) -> None:
    """Rewrite each real number in the objects' dictionaries and arrays (not in stream data,
    which PDFium copies byte for byte) as a value PDFium writes back unchanged: six
    significant digits (a float32 holds any such decimal exactly enough to print it back, C's
    FLT_DIG), integral values as integers. Moves nothing by more than 0.001 pt on the page."""
    for obj in writer._objects:
        if obj is not None:
            _stabilise(obj)


def _stable(number):
    from pypdf.generic import FloatObject, NumberObject

    value = float(f"{float(number):.6g}")
    return NumberObject(int(value)) if value.is_integer() else FloatObject(value)


def _stabilise(obj) -> None:
    from pypdf.generic import ArrayObject, DictionaryObject, FloatObject

    if isinstance(obj, DictionaryObject):  # stream objects too: their dictionary only
        for key, value in list(obj.items()):
            if isinstance(value, FloatObject):
                obj[key] = _stable(value)
            elif isinstance(value, (DictionaryObject, ArrayObject)):
                _stabilise(value)
    elif isinstance(obj, ArrayObject):
        for i, value in enumerate(obj):
            if isinstance(value, FloatObject):
                obj[i] = _stable(value)
            elif isinstance(value, (DictionaryObject, ArrayObject)):
                _stabilise(value)


def _drop_standin(writer, standin: str) -> None:
    """Remove the stand-in control font from every page's resources: nothing draws with it now."""
    from pypdf.generic import NameObject

    for page in writer.pages:
        page_fonts = page["/Resources"].get("/Font")
        if page_fonts is None:
            continue
        page_fonts = page_fonts.get_object()
        for key in list(page_fonts):
            base = str(page_fonts[key].get_object().get("/BaseFont", ""))
            if base.split("+")[-1].lstrip("/") == standin:
                del page_fonts[NameObject(key)]
