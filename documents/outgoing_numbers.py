"""Numbers of outgoing documents: series, number/symbols, reserved numbers (DOMAIN §e).

One series per year in the outgoing register, or one per document type when the agency
says so; confidential documents in their own series. The year comes from the numbering
date, so a document signed on 31/12 and numbered on 02/01 takes the new year's number.
"""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from documents.errors import DocumentError
from documents.models import Document, DocumentType, NumberReservation, Register
from documents.numbering import allocate_number
from documents.text import nfc
from eoffice.models import Agency, Department, User


def outgoing_register(
    agency: Agency, doc_type: DocumentType, year: int, *, confidential: bool
) -> Register:
    """The register whose counter numbers ``doc_type`` in ``year`` for this agency."""
    per_type = agency.outgoing_series == Agency.OutgoingSeries.PER_TYPE
    series_type = doc_type if per_type else None
    if confidential:
        name = _("Confidential outgoing register %(year)s") % {"year": year}
    else:
        name = _("Outgoing register %(year)s") % {"year": year}
    if series_type is not None:
        name = f"{name} — {series_type.name}"
    register, _created = Register.objects.get_or_create(
        kind=Register.Kind.OUTGOING,
        year=year,
        is_confidential=confidential,
        doc_type=series_type,
        defaults={"name": name},
    )
    return register


def build_number_symbol(
    number: int, doc_type: DocumentType, agency: Agency, department: Department | None
) -> str:
    """``45/QĐ-UBND`` for a typed document, ``05/UBND-VP`` for a công văn (DOMAIN §e)."""
    if doc_type.abbreviation:
        symbol = f"{doc_type.abbreviation}-{agency.short_code}"
    else:
        unit = department.short_code if department is not None else ""
        symbol = f"{agency.short_code}-{unit}" if unit else agency.short_code
    return f"{number:02d}/{symbol}"


def numbering_year(day: date | None = None) -> int:
    return (day or timezone.localdate()).year


def reserve_number(
    clerk: User, doc_type: DocumentType, *, confidential: bool, purpose: str
) -> NumberReservation:
    """Hold the next number of the series back for a document signed on paper.

    The number leaves the counter at once (so no one else takes it) and shows in the
    register as reserved until it is used or released.
    """
    if not clerk.is_clerk:
        raise DocumentError(_("Only a clerk can reserve a number."))
    purpose = nfc(purpose).strip()
    if not purpose:
        raise DocumentError(_("Say what the number is reserved for."))
    agency = Agency.objects.get()
    with transaction.atomic():
        register = outgoing_register(agency, doc_type, numbering_year(), confidential=confidential)
        number = allocate_number(register)
        return NumberReservation.objects.create(
            register=register, number=number, purpose=purpose, reserved_by=clerk
        )


def release_number(clerk: User, reservation_id: int, reason: str) -> NumberReservation:
    """Give up a reserved number; it stays in the register as "released, not used"."""
    if not clerk.is_clerk:
        raise DocumentError(_("Only a clerk can release a reserved number."))
    reason = nfc(reason).strip()
    if not reason:
        raise DocumentError(_("Say why the number is released."))
    with transaction.atomic():
        reservation = NumberReservation.objects.select_for_update().get(pk=reservation_id)
        if reservation.state != NumberReservation.State.RESERVED:
            raise DocumentError(
                _("Number %(number)s is already “%(state)s”.")
                % {"number": reservation.number_display, "state": reservation.get_state_display()}
            )
        reservation.state = NumberReservation.State.RELEASED
        reservation.closed_by = clerk
        reservation.closed_at = timezone.now()
        reservation.release_reason = reason
        reservation.save()
    return reservation


def take_number(
    document: Document, clerk: User, day: date, reservation_id: int | None = None
) -> tuple[Register, int]:
    """The register and number for issuing ``document`` on ``day``, inside the caller's
    transaction: the next number of its series, or a number reserved for it."""
    agency = Agency.objects.get()
    register = outgoing_register(
        agency, document.doc_type, day.year, confidential=document.is_confidential
    )
    if reservation_id is None:
        return register, allocate_number(register)
    try:
        reservation = NumberReservation.objects.select_for_update().get(pk=reservation_id)
    except NumberReservation.DoesNotExist as exc:
        raise DocumentError(_("This reserved number does not exist.")) from exc
    if reservation.state != NumberReservation.State.RESERVED:
        raise DocumentError(
            _("Number %(number)s is already “%(state)s”.")
            % {"number": reservation.number_display, "state": reservation.get_state_display()}
        )
    if reservation.register_id != register.pk:
        raise DocumentError(
            _(
                "Number %(number)s was reserved in “%(register)s”; this document is numbered "
                "in “%(expected)s”."
            )
            % {
                "number": reservation.number_display,
                "register": reservation.register.name,
                "expected": register.name,
            }
        )
    reservation.state = NumberReservation.State.USED
    reservation.document = document
    reservation.closed_by = clerk
    reservation.closed_at = timezone.now()
    reservation.save()
    return register, reservation.number
