"""What signatures and filled fields look like on the page.

One stamp class draws everything: an optional image (the blue handwritten signature, the red
seal) in a rectangle of the box, and lines of text centred or left-aligned at the top and the
bottom of the box. Text uses DejaVu (Vietnamese glyphs) rescaled to 1000 units per em:
pyHanko 0.38 writes the font's advance widths unscaled, which spreads DejaVu's 2048-unit
glyphs apart in every viewer (SIGNATURES.md §10.1).
"""

from __future__ import annotations

import io
import logging
import threading
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from pyhanko.pdf_utils import generic, layout
from pyhanko.pdf_utils.content import ResourceType
from pyhanko.pdf_utils.font.opentype import GlyphAccumulatorFactory
from pyhanko.pdf_utils.generic import pdf_name
from pyhanko.pdf_utils.images import PdfImage
from pyhanko.stamp import TextStampStyle
from pyhanko.stamp.base import BaseStamp

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
FONTS = {
    "sans": "DejaVuSans.ttf",
    "sans-bold": "DejaVuSans-Bold.ttf",
    "serif": "DejaVuSerif.ttf",
    "serif-bold": "DejaVuSerif-Bold.ttf",
    "serif-italic": "DejaVuSerif-Italic.ttf",
}
ISO_FORMAT = "%Y-%m-%dT%H:%M:%S%:z"

_font_lock = threading.Lock()
# fontTools logs every subsetting step (and a harmless FFTM warning): a screenful per signature.
logging.getLogger("fontTools").setLevel(logging.ERROR)


def get_font_path(name: str = "sans") -> str:
    """A copy of the DejaVu font rescaled to 1000 units per em, made once per installation."""
    target = Path(settings.VAR_DIR) / "cache" / "fonts" / f"{Path(FONTS[name]).stem}-1000.ttf"
    if target.exists():
        return str(target)
    with _font_lock:
        if not target.exists():
            from fontTools.ttLib import TTFont
            from fontTools.ttLib.scaleUpem import scale_upem

            font = TTFont(FONT_DIR / FONTS[name])
            scale_upem(font, 1000)
            target.parent.mkdir(parents=True, exist_ok=True)
            partial = target.with_suffix(".part")
            font.save(partial)
            partial.replace(target)
    return str(target)


def load_image(data: bytes) -> PdfImage:
    from PIL import Image

    image = Image.open(io.BytesIO(data))
    image.load()
    return PdfImage(image)


@dataclass(frozen=True)
class TextBlock:
    """Lines drawn together, each with its own alignment: 'center' or 'left'."""

    lines: tuple[str, ...]
    size: float = 9
    font: str = "sans"
    align: str = "center"
    color: tuple[float, float, float] = (0, 0, 0)


@dataclass(frozen=True)
class BlockStampStyle(TextStampStyle):
    """An image in a rectangle of the box and text blocks at the top and bottom.

    ``image_box`` is (x0, y0, x1, y1) inside the appearance box; the image keeps its aspect
    ratio and is centred in it. Text may use ``%(ts)s`` (the signing time, ISO 8601 with the
    agency's offset) and ``%(signer)s`` (the certificate's name).
    """

    image: PdfImage | None = None
    image_box: tuple[float, float, float, float] | None = None
    top: TextBlock | None = None
    bottom: TextBlock | None = None
    border_width: int = 0
    timestamp_format: str = ISO_FORMAT
    text_params: dict = field(default_factory=dict)

    # pyHanko types the return as TextStamp; any BaseStamp renders the same way.
    def create_stamp(self, writer, box, text_params) -> BlockStamp:  # type: ignore[override]
        return BlockStamp(writer=writer, style=self, box=box, text_params=text_params)


class BlockStamp(BaseStamp):
    def __init__(self, writer, style: BlockStampStyle, box, text_params=None):
        super().__init__(writer=writer, style=style, box=box)
        self.text_params = {**style.text_params, **(text_params or {})}
        self._fonts: dict[str, str] = {}

    def _font_resource(self, font: str, size: float):
        """One embedded subset per font face used in this appearance."""
        name = self._fonts.get(font)
        engine_key = f"_engine_{font}"
        if name is None:
            name = f"F{len(self._fonts) + 1}"
            self._fonts[font] = name
            assert self.writer is not None
            factory = GlyphAccumulatorFactory(get_font_path(font), font_size=round(size))
            engine = factory.create_font_engine(self.writer)
            setattr(self, engine_key, engine)
        return name, getattr(self, engine_key)

    def _text_ops(self, block: TextBlock, at_top: bool) -> list[bytes]:
        box = self.box
        ops: list[bytes] = []
        leading = block.size * 1.2
        lines = [line % self.text_params if "%(" in line else line for line in block.lines]
        name, engine = self._font_resource(block.font, block.size)
        for index, line in enumerate(lines):
            if not line:
                continue
            engine.font_size = block.size
            shaped = engine.shape(line)
            width = shaped.x_advance * block.size
            x = (box.width - width) / 2 if block.align == "center" else 1
            if at_top:
                y = box.height - block.size - index * leading
            else:
                y = (len(lines) - 1 - index) * leading + block.size * 0.25
            ops.append(
                b"BT %g %g %g rg /%s %g Tf %g %g Td %s ET"
                % (*block.color, name.encode(), block.size, max(x, 0), y, shaped.graphics_ops)
            )
        return ops

    def _render_inner_content(self):
        style: BlockStampStyle = self.style
        commands: list[bytes] = [b"q"]
        if style.top:
            commands.extend(self._text_ops(style.top, at_top=True))
        if style.bottom:
            commands.extend(self._text_ops(style.bottom, at_top=False))
        for font, name in self._fonts.items():
            engine = getattr(self, f"_engine_{font}")
            self.set_resource(
                category=ResourceType.FONT, name=pdf_name("/" + name), value=engine.as_resource()
            )
        if style.image is not None:
            image = style.image
            image.set_writer(self.writer)
            image_content = image.render()
            x0, y0, x1, y1 = style.image_box or (0, 0, self.box.width, self.box.height)
            scale = min((x1 - x0) / image.box.width, (y1 - y0) / image.box.height)
            width, height = image.box.width * scale, image.box.height * scale
            left = x0 + ((x1 - x0) - width) / 2
            bottom = y0 + ((y1 - y0) - height) / 2
            self.import_resources(image.resources)
            # The image under the text, so the text stays readable over a seal.
            commands.insert(
                1, b"q %g 0 0 %g %g %g cm %s Q" % (scale, scale, left, bottom, image_content)
            )
        commands.append(b"Q")
        return commands


def make_form_xobject(writer, width: float, height: float, block: TextBlock, **params):
    """An appearance stream (/AP /N) for a text field, with the text in ``block``."""
    style = BlockStampStyle(bottom=None, top=None, text_params=params)
    stamp = BlockStamp(writer, style, layout.BoxConstraints(width=width, height=height))
    ops = [b"/Tx BMC q"]
    # Vertically centre a single block of lines.
    lines = len(block.lines)
    offset = max((height - lines * block.size * 1.2) / 2, 0)
    ops.append(b"1 0 0 1 0 %g cm" % offset)
    ops.extend(stamp._text_ops(block, at_top=False))
    ops.append(b"Q EMC")
    for font, name in stamp._fonts.items():
        engine = getattr(stamp, f"_engine_{font}")
        stamp.set_resource(
            category=ResourceType.FONT, name=pdf_name("/" + name), value=engine.as_resource()
        )
    stream = generic.StreamObject(
        {
            pdf_name("/Type"): pdf_name("/XObject"),
            pdf_name("/Subtype"): pdf_name("/Form"),
            pdf_name("/BBox"): generic.ArrayObject(
                [generic.FloatObject(v) for v in (0, 0, width, height)]
            ),
            pdf_name("/Resources"): stamp.resources.as_pdf_object(),
        },
        stream_data=b" ".join(ops),
    )
    return writer.add_object(stream)
