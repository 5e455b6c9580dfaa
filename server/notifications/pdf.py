"""PDF tickets: one page per ticket with the event, the holder, the confirmation code and the QR code.

The QR code carries the signed token (``shared.qrtoken``), drawn as a PNG by ``qrcode`` and placed by fpdf2. Text
uses DejaVu Sans when the system has it (any script), else the PDF core font with non-Latin-1 characters replaced.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import qrcode
from fpdf import FPDF
from qrcode.constants import ERROR_CORRECT_M

from shared.codes import format_for_display

_UNICODE_FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")


@dataclass(frozen=True)
class TicketPage:
    event_name: str
    starts_at: datetime
    timezone: str
    venue: str | None
    ticket_type: str
    holder: str
    confirmation_code: str
    token: str
    price: str


def qr_png(data: str, *, box_size: int = 8) -> bytes:
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, box_size=box_size, border=4)
    code.add_data(data)
    code.make(fit=True)
    image = code.make_image(fill_color="black", back_color="white")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def _setup_font(pdf: FPDF) -> tuple[str, bool]:
    if _UNICODE_FONT.exists():
        pdf.add_font("DejaVu", "", str(_UNICODE_FONT))
        return "DejaVu", True
    return "Helvetica", False


def render_tickets(pages: list[TicketPage]) -> bytes:
    pdf = FPDF(format=(148, 210))  # A5 in millimetres
    pdf.set_auto_page_break(auto=False)
    family, unicode_ok = _setup_font(pdf)

    def text(value: str) -> str:
        return value if unicode_ok else value.encode("latin-1", "replace").decode("latin-1")

    for page in pages:
        pdf.add_page()
        local = page.starts_at.astimezone(ZoneInfo(page.timezone))
        pdf.set_font(family, size=18)
        pdf.multi_cell(0, 9, text(page.event_name), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font(family, size=11)
        when = local.strftime("%A %d %B %Y, %H:%M") + f" ({page.timezone})"
        for line in (when, page.venue or "", f"{page.ticket_type} · {page.price}", f"Holder: {page.holder}"):
            if line:
                pdf.multi_cell(0, 6, text(line), new_x="LMARGIN", new_y="NEXT")
        pdf.ln(3)
        size = 90
        pdf.image(io.BytesIO(qr_png(page.token)), x=(pdf.w - size) / 2, y=pdf.get_y(), w=size, h=size)
        pdf.set_y(pdf.get_y() + size + 4)
        pdf.set_font(family, size=16)
        pdf.cell(0, 8, format_for_display(page.confirmation_code), align="C", new_x="LMARGIN", new_y="NEXT")
        pdf.set_font(family, size=8)
        pdf.multi_cell(
            0,
            4,
            text("Show the QR code at the door, or give the confirmation code above."),
            align="C",
            new_x="LMARGIN",
            new_y="NEXT",
        )
    return bytes(pdf.output())
