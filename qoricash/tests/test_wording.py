"""Django's own admin messages read right in Spanish: neutral about gender, no 'Bienvenidos' to one person."""

import pytest
from django.urls import reverse
from django.utils.translation import gettext, ngettext, override

from clients.tests.factories import active_client
from operations.tests.factories import OperationFactory

pytestmark = pytest.mark.django_db


def test_the_saved_message_does_not_give_an_operation_a_masculine_ending(master_client, trader):
    op = OperationFactory(client=active_client(owner=trader))
    with override("es"):
        text = gettext("The {name} “{obj}” was changed successfully. You may edit it again below.").format(
            name="operación", obj=op.code
        )
    assert text == f"Se guardaron los cambios: operación «{op.code}». Puede seguir editando a continuación."
    assert "agregado" not in text and "editarlo" not in text


def test_the_header_greets_one_person_and_lengths_are_plural_aware(master_client, master):
    content = master_client.get(reverse("admin:index")).content.decode()
    assert "Hola," in content and "Bienvenidos" not in content
    with override("es"):
        one = ngettext(
            "Ensure this value has at most %(limit_value)d character (it has %(show_value)d).",
            "Ensure this value has at most %(limit_value)d characters (it has %(show_value)d).",
            1,
        ) % {"limit_value": 1, "show_value": 3}
        many = ngettext(
            "Ensure this value has at most %(limit_value)d character (it has %(show_value)d).",
            "Ensure this value has at most %(limit_value)d characters (it has %(show_value)d).",
            12,
        ) % {"limit_value": 12, "show_value": 15}
    assert one == "Escriba como máximo 1 carácter (tiene 3)."
    assert many == "Escriba como máximo 12 caracteres (tiene 15)."


def test_months_are_lower_case_and_the_day_panel_counts_in_singular():
    from django.utils.dateformat import format as date_format
    from django.utils.translation import npgettext

    from reports.models import TraderGoal

    with override("es"):
        assert date_format(__import__("datetime").date(2026, 11, 30), "j \\d\\e F") == "30 de noviembre"
        assert TraderGoal(year=2026, month=11).period_label == "noviembre de 2026"
        assert npgettext("report", "operation created today", "operations created today", 1) == (
            "operación registrada hoy"
        )
        assert npgettext("report", "operation created today", "operations created today", 3) == (
            "operaciones registradas hoy"
        )
