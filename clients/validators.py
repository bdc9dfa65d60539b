"""Validators for Peruvian identity documents, bank accounts and contact data (Spanish messages)."""

import re

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils import timezone
from django.utils.translation import gettext as _
from stdnum.pe import ruc as stdnum_ruc

RUC_PREFIXES = ("10", "15", "16", "17", "20")
# ASCII digits only, always: Python's \d and str.isdigit() also accept Arabic-Indic, full-width or
# superscript digits, which no bank or registry accepts. Every pattern is a fullmatch ("$" would also
# accept a trailing newline) and compiled with re.ASCII so a later \d or \w stays ASCII too.
_DNI = re.compile(r"[0-9]{8}", re.ASCII)
_RUC = re.compile(r"[0-9]{11}", re.ASCII)
_ALNUM = re.compile(r"[A-Z0-9]+", re.ASCII)
_PHONE = re.compile(r"\+?[0-9]{6,15}", re.ASCII)
_ACCOUNT = re.compile(r"[0-9-]{6,20}", re.ASCII)
_CCI = re.compile(r"[0-9]{20}", re.ASCII)


def validate_dni(value):
    if not _DNI.fullmatch(value or ""):
        raise ValidationError(_("The DNI must have exactly 8 digits."), code="dni")


def validate_ruc(value):
    if not _RUC.fullmatch(value or ""):
        raise ValidationError(_("The RUC must have exactly 11 digits."), code="ruc")
    if not value.startswith(RUC_PREFIXES):
        raise ValidationError(_("The RUC must start with 10, 15, 16, 17 or 20."), code="ruc_prefix")
    # stdnum's validate() refuses the 16 prefix the business needs, so only its check digit is used.
    if stdnum_ruc.calc_check_digit(value[:10]) != value[10]:
        raise ValidationError(_("The RUC check digit is not valid."), code="ruc_check")


def validate_ce(value):
    if not (9 <= len(value or "") <= 12 and _ALNUM.fullmatch(value)):
        raise ValidationError(_("The CE must have 9 to 12 letters or digits."), code="ce")


def validate_passport(value):
    if not (6 <= len(value or "") <= 12 and _ALNUM.fullmatch(value)):
        raise ValidationError(_("The passport number must have 6 to 12 letters or digits."), code="passport")


_BY_TYPE = {"DNI": validate_dni, "RUC": validate_ruc, "CE": validate_ce, "PAS": validate_passport}


def validate_document(document_type, number):
    check = _BY_TYPE.get(document_type)
    if check is None:
        raise ValidationError(_("Unknown document type."), code="doc_type")
    check((number or "").strip().upper())


def validate_account_number(value):
    if not _ACCOUNT.fullmatch(value or ""):
        raise ValidationError(_("The account number must have 6 to 20 digits (dashes allowed)."), code="account")


def validate_cci(value):
    if value and not _CCI.fullmatch(value):
        raise ValidationError(_("The CCI must have exactly 20 digits."), code="cci")


def split_list(value):
    return [p.strip() for p in (value or "").split(";") if p.strip()]


def normalize_phone(phone):
    """Drop the separators people type inside a number: spaces, dashes, dots and parentheses."""
    return re.sub(r"[\s\-.()]", "", phone or "")


def validate_phone_list(value):
    for phone in split_list(value):
        if not _PHONE.fullmatch(normalize_phone(phone)):
            raise ValidationError(
                _("'%(phone)s' is not a valid phone: use 6 to 15 digits, optionally starting with +.")
                % {"phone": phone},
                code="phone",
            )


def validate_email_list(value):
    for email in split_list(value):
        try:
            validate_email(email)
        except ValidationError:
            raise ValidationError(_("'%(email)s' is not a valid e-mail.") % {"email": email}, code="email") from None


def mask(number, visible=4):
    """Show only the last digits of an account or document number: ****1234."""
    number = number or ""
    if len(number) <= visible:
        return "*" * len(number)
    return "*" * 4 + number[-visible:]


def normalize_account_number(value):
    """Account numbers and CCIs are stored as bare digits: spaces and dashes are dropped."""
    return re.sub(r"[\s\-]", "", value or "")


def validate_date_of_birth(value):
    """A client's date of birth: an adult (18 or more) born after 1900, never a date in the future."""
    if value is None:
        return
    today = timezone.localdate()
    if value > today:
        raise ValidationError(_("The date of birth cannot be in the future."), code="birth_future")
    if value.year < 1900:
        raise ValidationError(_("The date of birth must be after 1900."), code="birth_old")
    try:
        adult_on = value.replace(year=value.year + 18)
    except ValueError:  # 29 February
        adult_on = value.replace(year=value.year + 18, day=28)
    if adult_on > today:
        raise ValidationError(_("The client must be of age (18 or more)."), code="birth_minor")
