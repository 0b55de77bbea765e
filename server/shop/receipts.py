"""The PDF receipt of an order (reportlab); every user-supplied string is escaped before layout."""

from __future__ import annotations

import io
from datetime import UTC
from xml.sax.saxutils import escape

from django.conf import settings
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from shop.models import Order
from shop.money import format_minor


def _p(text: str, style: ParagraphStyle) -> Paragraph:
    """A paragraph of plain text: reportlab parses mini-markup, so names like '<font size=80>' are escaped."""
    return Paragraph(escape(str(text)).replace("\n", "<br/>"), style)


def clinic_details() -> tuple[str, str, str]:
    return (
        str(settings.CLINIC_NAME),
        str(settings.CLINIC_ADDRESS),
        str(settings.CLINIC_VAT_ID),
    )


def render_receipt_pdf(order: Order) -> bytes:
    """Order number, date, customer, lines with quantities and prices, tax, total, clinic details."""
    styles = getSampleStyleSheet()
    normal, small, title = styles["Normal"], ParagraphStyle("small", parent=styles["Normal"], fontSize=8), styles["Title"]
    clinic_name, clinic_address, clinic_vat = clinic_details()
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=18 * mm,
        bottomMargin=18 * mm,
        title=f"Receipt {order.number}",
        author=clinic_name,
    )
    created = order.created_at.astimezone(UTC)
    money = order.currency
    story = [
        _p(clinic_name, styles["Heading2"]),
        _p(clinic_address, normal),
        _p(f"VAT ID: {clinic_vat}", normal),
        Spacer(1, 8 * mm),
        _p("Receipt", title),
        _p(f"Order number: {order.number}", normal),
        _p(f"Date: {created:%Y-%m-%d %H:%M} UTC", normal),
        _p(f"Customer: {order.customer_name or '-'}", normal),
        _p(f"E-mail: {order.customer_email or '-'}", normal),
        _p(f"Status: {order.get_status_display()}", normal),
        Spacer(1, 6 * mm),
    ]
    rows: list[list[object]] = [["Item", "Qty", "Unit price", "Line total"]]
    for line in order.lines.all():
        rows.append(
            [
                _p(f"{line.product_name} ({line.product_sku})", normal),
                str(line.quantity),
                format_minor(line.unit_price_minor, money),
                format_minor(line.line_total_minor, money),
            ]
        )
    rows.append(["", "", "Subtotal", format_minor(order.subtotal_minor, money)])
    rows.append(["", "", f"Tax ({order.tax_rate_percent.normalize():f}%)", format_minor(order.tax_minor, money)])
    rows.append(["", "", "Total", format_minor(order.total_minor, money)])
    table = Table(rows, colWidths=[88 * mm, 14 * mm, 36 * mm, 36 * mm], repeatRows=1)
    n = len(rows)
    table.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, 0), "Helvetica-Bold"),
                ("LINEBELOW", (0, 0), (-1, 0), 0.8, colors.black),
                ("ALIGN", (1, 0), (-1, -1), "RIGHT"),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LINEABOVE", (2, n - 3), (-1, n - 3), 0.5, colors.grey),
                ("FONTNAME", (2, n - 1), (-1, n - 1), "Helvetica-Bold"),
                ("LINEABOVE", (2, n - 1), (-1, n - 1), 0.8, colors.black),
            ]
        )
    )
    story += [
        table,
        Spacer(1, 10 * mm),
        _p(
            f"Prices are net; tax is shown separately. Questions about this order: quote {order.number}. "
            "Products sold here support skin care and self-examination; they do not diagnose skin disease.",
            small,
        ),
    ]
    doc.build(story)
    return buffer.getvalue()
