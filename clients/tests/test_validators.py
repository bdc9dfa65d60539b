"""Every validator with good and bad values, and the Spanish message a user sees."""

import pytest
from django.core.exceptions import ValidationError
from stdnum.pe import ruc as stdnum_ruc

from clients import validators as v
from clients.tests.factories import valid_ruc


def message(check, value):
    with pytest.raises(ValidationError) as exc:
        check(value)
    return " ".join(exc.value.messages)


@pytest.mark.parametrize("value", ["12345678", "00000001", "41235000"])
def test_dni_accepts_eight_digits(value):
    v.validate_dni(value)


@pytest.mark.parametrize("value", ["1234567", "123456789", "1234567A", "", "1234 567", None])
def test_dni_refuses_anything_else(value):
    assert message(v.validate_dni, value) == "El DNI debe tener exactamente 8 dígitos."


@pytest.mark.parametrize("prefix", ["10", "15", "16", "17", "20"])
def test_ruc_accepts_each_prefix_with_its_check_digit(prefix):
    v.validate_ruc(valid_ruc(1234, prefix=prefix))


def test_ruc_known_real_number():
    v.validate_ruc("20100047218")  # BCP's RUC


def test_ruc_wrong_check_digit():
    good = valid_ruc(777)
    bad = good[:-1] + str((int(good[-1]) + 1) % 10)
    assert message(v.validate_ruc, bad) == "El dígito verificador del RUC no es válido."


def test_ruc_prefix_outside_the_list_even_with_a_valid_check_digit():
    body = "3012345678"
    number = body + stdnum_ruc.calc_check_digit(body)
    assert message(v.validate_ruc, number) == "El RUC debe empezar con 10, 15, 16, 17 o 20."


@pytest.mark.parametrize("value", ["2010004721", "201000472181", "2010004721X", ""])
def test_ruc_needs_eleven_digits(value):
    assert message(v.validate_ruc, value) == "El RUC debe tener exactamente 11 dígitos."


@pytest.mark.parametrize("value", ["000123456", "AB1234567", "123456789012"])
def test_ce_nine_to_twelve_alphanumerics(value):
    v.validate_ce(value)


@pytest.mark.parametrize("value", ["12345678", "1234567890123", "AB-123456", "ab1234567"])
def test_ce_refused(value):
    assert message(v.validate_ce, value) == "El CE debe tener de 9 a 12 letras o dígitos."


@pytest.mark.parametrize("value", ["AB1234", "123456789012", "X1234567"])
def test_passport_six_to_twelve_alphanumerics(value):
    v.validate_passport(value)


@pytest.mark.parametrize("value", ["AB123", "1234567890123", "AB 1234", "AB-1234"])
def test_passport_refused(value):
    assert message(v.validate_passport, value) == "El número de pasaporte debe tener de 6 a 12 letras o dígitos."


def test_validate_document_dispatches_by_type_and_normalises_case():
    v.validate_document("DNI", "12345678")
    v.validate_document("CE", " ab1234567 ")  # upper-cased and trimmed before the check
    v.validate_document("PAS", "x12345")
    v.validate_document("RUC", valid_ruc(5))
    with pytest.raises(ValidationError):
        v.validate_document("DNI", valid_ruc(5))
    assert message(lambda n: v.validate_document("XYZ", n), "123") == "Tipo de documento desconocido."


@pytest.mark.parametrize("value", ["", "987654321", "987654321; 014445555", "+51 987 654 321", "(01) 444-5555"])
def test_phone_lists_accepted(value):
    v.validate_phone_list(value)


@pytest.mark.parametrize("value", ["12345", "987654321; abc", "+51987654321000000", "9876x4321"])
def test_phone_lists_refused_naming_the_bad_phone(value):
    text = message(v.validate_phone_list, value)
    assert "no es un teléfono válido" in text


def test_email_lists():
    v.validate_email_list("")
    v.validate_email_list("a@b.pe; c.d@empresa.com.pe")
    assert message(v.validate_email_list, "a@b.pe; no-es-correo") == "«no-es-correo» no es un e-mail válido."


@pytest.mark.parametrize("value", ["", "00219100123456789012"])
def test_cci_good(value):
    v.validate_cci(value)


@pytest.mark.parametrize("value", ["0021910012345678901", "002191001234567890123", "0021910012345678901A"])
def test_cci_bad(value):
    assert message(v.validate_cci, value) == "El CCI debe tener exactamente 20 dígitos."


def test_account_number_digits_after_normalisation():
    assert v.normalize_account_number(" 191-12345678-0-12 ") == "19112345678012"
    v.validate_account_number("191123")
    for bad in ("12345", "1" * 21, "19112A"):
        assert message(v.validate_account_number, bad).startswith("El número de cuenta debe tener de 6 a 20 dígitos")


def test_mask_keeps_only_the_last_four():
    assert v.mask("19112345678012") == "****8012"
    assert v.mask("1234") == "****"
    assert v.mask("") == ""


# --- Only ASCII digits: Python's \d and str.isdigit() accept other scripts ------------------------
def digits_in(script, ascii_digits):
    """`ascii_digits` written with another script's digits (by code point, so the source stays ASCII)."""
    if script == "superscript":
        table = [0x2070, 0xB9, 0xB2, 0xB3, 0x2074, 0x2075, 0x2076, 0x2077, 0x2078, 0x2079]
    else:
        zero = {"arabic-indic": 0x0660, "extended-arabic-indic": 0x06F0, "devanagari": 0x0966, "fullwidth": 0xFF10}
        table = [zero[script] + i for i in range(10)]
    return ascii_digits.translate({ord(str(i)): chr(cp) for i, cp in enumerate(table)})


SCRIPTS = ["arabic-indic", "extended-arabic-indic", "devanagari", "fullwidth", "superscript"]


def test_helper_really_writes_digits_python_accepts():
    assert digits_in("arabic-indic", "12345678") == "\u0661\u0662\u0663\u0664\u0665\u0666\u0667\u0668"
    assert digits_in("arabic-indic", "12345678").isdigit() and digits_in("superscript", "12").isdigit()


@pytest.mark.parametrize("script", SCRIPTS)
def test_dni_refuses_non_ascii_digits(script):
    assert message(v.validate_dni, digits_in(script, "12345678")) == "El DNI debe tener exactamente 8 dígitos."
    assert message(v.validate_dni, "1234567" + digits_in(script, "8")) == "El DNI debe tener exactamente 8 dígitos."


@pytest.mark.parametrize("script", SCRIPTS)
def test_ruc_refuses_non_ascii_digits(script):
    assert message(v.validate_ruc, digits_in(script, "20100047218")) == "El RUC debe tener exactamente 11 dígitos."


@pytest.mark.parametrize("script", SCRIPTS)
def test_ce_and_passport_refuse_non_ascii_digits(script):
    assert message(v.validate_ce, "AB" + digits_in(script, "1234567")) == "El CE debe tener de 9 a 12 letras o dígitos."
    assert message(v.validate_passport, "X" + digits_in(script, "12345")).startswith("El número de pasaporte")
    with pytest.raises(ValidationError):
        v.validate_document("DNI", digits_in(script, "12345678"))


@pytest.mark.parametrize("script", SCRIPTS)
def test_cci_and_account_numbers_refuse_non_ascii_digits(script):
    assert message(v.validate_cci, digits_in(script, "0" * 20)) == "El CCI debe tener exactamente 20 dígitos."
    assert message(v.validate_cci, digits_in(script, "00219100123456789012")).startswith("El CCI")
    assert message(v.validate_account_number, digits_in(script, "191-1234567")).startswith("El número de cuenta")


@pytest.mark.parametrize("script", SCRIPTS)
def test_phones_refuse_non_ascii_digits(script):
    assert "no es un teléfono válido" in message(v.validate_phone_list, digits_in(script, "987654321"))
    assert "no es un teléfono válido" in message(v.validate_phone_list, "+51 " + digits_in(script, "987654321"))


@pytest.mark.parametrize(
    "check, value",
    [
        (v.validate_dni, "12345678\n"),
        (v.validate_ruc, "20100047218\n"),
        (v.validate_ce, "AB1234567\n"),
        (v.validate_passport, "X12345\n"),
        (v.validate_cci, "00219100123456789012\n"),
        (v.validate_account_number, "19112345678012\n"),
    ],
)
def test_a_trailing_newline_is_not_part_of_a_valid_number(check, value):
    with pytest.raises(ValidationError):
        check(value)
