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
    v.validate_account_digits("191123")
    for bad in ("12345", "1" * 21, "19112A"):
        assert message(v.validate_account_digits, bad) == "El número de cuenta debe tener de 6 a 20 dígitos."


def test_mask_keeps_only_the_last_four():
    assert v.mask("19112345678012") == "****8012"
    assert v.mask("1234") == "****"
    assert v.mask("") == ""
