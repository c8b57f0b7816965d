"""Small PDFs with Chinese text, written with pypdf (demo data and tests).

The text uses Adobe's predefined CJK font ``STSong-Light`` with the
``UniGB-UCS2-H`` encoding, which every PDF reader maps to an installed
Song/Ming face, so nothing is embedded and the file stays a few hundred bytes.
"""

from __future__ import annotations

import io

from pypdf import PdfWriter
from pypdf.generic import (
    ArrayObject,
    DecodedStreamObject,
    DictionaryObject,
    NameObject,
    NumberObject,
    TextStringObject,
)


def _font(writer: PdfWriter):
    descendant = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Font"),
            NameObject("/Subtype"): NameObject("/CIDFontType0"),
            NameObject("/BaseFont"): NameObject("/STSong-Light"),
            NameObject("/CIDSystemInfo"): DictionaryObject(
                {
                    NameObject("/Registry"): TextStringObject("Adobe"),
                    NameObject("/Ordering"): TextStringObject("GB1"),
                    NameObject("/Supplement"): NumberObject(4),
                }
            ),
            NameObject("/FontDescriptor"): writer._add_object(
                DictionaryObject(
                    {
                        NameObject("/Type"): NameObject("/FontDescriptor"),
                        NameObject("/FontName"): NameObject("/STSong-Light"),
                        NameObject("/Flags"): NumberObject(6),
                        NameObject("/FontBBox"): ArrayObject(
                            [NumberObject(v) for v in (-25, -254, 1000, 880)]
                        ),
                        NameObject("/ItalicAngle"): NumberObject(0),
                        NameObject("/Ascent"): NumberObject(880),
                        NameObject("/Descent"): NumberObject(-120),
                        NameObject("/CapHeight"): NumberObject(880),
                        NameObject("/StemV"): NumberObject(93),
                    }
                )
            ),
        }
    )
    return writer._add_object(
        DictionaryObject(
            {
                NameObject("/Type"): NameObject("/Font"),
                NameObject("/Subtype"): NameObject("/Type0"),
                NameObject("/BaseFont"): NameObject("/STSong-Light-UniGB-UCS2-H"),
                NameObject("/Encoding"): NameObject("/UniGB-UCS2-H"),
                NameObject("/DescendantFonts"): ArrayObject([writer._add_object(descendant)]),
            }
        )
    )


def simple_pdf(pages: list[list[str]]) -> bytes:
    """A PDF with one page per item of ``pages``, each a list of text lines."""
    writer = PdfWriter()
    font = _font(writer)
    for lines in pages:
        page = writer.add_blank_page(width=595, height=842)
        page[NameObject("/Resources")] = DictionaryObject(
            {NameObject("/Font"): DictionaryObject({NameObject("/F1"): font})}
        )
        commands = ["BT", "/F1 14 Tf", "18 TL", "60 780 Td"]
        for line in lines:
            commands.append(f"<{line.encode('utf-16-be').hex()}> Tj T*")
        commands.append("ET")
        stream = DecodedStreamObject()
        stream.set_data("\n".join(commands).encode("ascii"))
        page[NameObject("/Contents")] = writer._add_object(stream)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()
