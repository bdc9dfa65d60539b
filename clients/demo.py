"""Demo clients for `make run` (called by seed_demo after accounts.demo). Idempotent.

About 30 realistic Peruvian clients, persons (valid DNIs) and companies (RUCs with a valid check
digit), each with PEN and USD accounts at real banks (CCI where the bank needs it) and an ID
document, split between the portfolio holders among the demo users (the traders: the reassign form
says only active traders hold a portfolio). Most are Activo; a few wait for review: two are
complete, one has only a PEN account and one has no documents, so the review flow can be tried
both ways.
"""

import datetime

from django.core.files.base import ContentFile
from django.utils import timezone
from stdnum.pe import ruc as stdnum_ruc

from accounts.models import User
from clients import services
from clients.models import (
    AccountType,
    Bank,
    BankAccount,
    Client,
    ClientDocument,
    ClientStatus,
    Currency,
    DocumentKind,
    DocumentType,
    Location,
)
from clients.policy import can_own_clients

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"

PERSONS = [
    # paterno, materno, nombres, ocupación, distrito, provincia, departamento
    ("QUISPE", "MAMANI", "ROSA ELENA", "Contadora", "SAN JUAN DE LURIGANCHO", "LIMA", "LIMA"),
    ("FLORES", "HUAMÁN", "CARLOS ALBERTO", "Importador", "MIRAFLORES", "LIMA", "LIMA"),
    ("RODRÍGUEZ", "CHÁVEZ", "MARÍA DEL PILAR", "Médica", "SAN ISIDRO", "LIMA", "LIMA"),
    ("GARCÍA", "ROJAS", "JOSÉ LUIS", "Ingeniero civil", "SANTIAGO DE SURCO", "LIMA", "LIMA"),
    ("VARGAS", "TORRES", "LUCÍA FERNANDA", "Abogada", "LA MOLINA", "LIMA", "LIMA"),
    ("RAMOS", "CASTILLO", "JUAN PABLO", "Comerciante", "CERCADO", "AREQUIPA", "AREQUIPA"),
    ("MENDOZA", "DÍAZ", "ANA SOFÍA", "Arquitecta", "SAN BORJA", "LIMA", "LIMA"),
    ("SALAZAR", "GUTIÉRREZ", "MIGUEL ÁNGEL", "Docente", "JESÚS MARÍA", "LIMA", "LIMA"),
    ("ESPINOZA", "CÁRDENAS", "PATRICIA", "Empresaria", "TRUJILLO", "TRUJILLO", "LA LIBERTAD"),
    ("PAREDES", "VÁSQUEZ", "RICARDO", "Exportador", "CHICLAYO", "CHICLAYO", "LAMBAYEQUE"),
    ("HUANCA", "CCOPA", "FRANCISCO", "Agricultor", "WANCHAQ", "CUSCO", "CUSCO"),
    ("CHÁVEZ", "LEÓN", "GABRIELA", "Odontóloga", "LINCE", "LIMA", "LIMA"),
    ("TORRES", "ALVARADO", "DIEGO ARMANDO", "Piloto", "CALLAO", "CALLAO", "CALLAO"),
    ("MORALES", "PACHECO", "VERÓNICA", "Consultora", "PIURA", "PIURA", "PIURA"),
    ("SÁNCHEZ", "MEDINA", "ÓSCAR", "Transportista", "ATE", "LIMA", "LIMA"),
    ("CASTRO", "NÚÑEZ", "ELIANA", "Farmacéutica", "PUEBLO LIBRE", "LIMA", "LIMA"),
    ("ROMERO", "AGUILAR", "FERNANDO", "Ingeniero de minas", "YANAHUARA", "AREQUIPA", "AREQUIPA"),
    ("CRUZ", "VILLANUEVA", "KARINA", "Diseñadora", "BARRANCO", "LIMA", "LIMA"),
]

COMPANIES = [
    # razón social, persona de contacto, representante, distrito, provincia, departamento
    ("INVERSIONES ANDINAS DEL SUR S.A.C.", "MARCO ANTONIO TELLO", "JORGE LUIS BENAVIDES PRADO", "SAN ISIDRO"),
    ("DISTRIBUIDORA EL SOL DE LIMA E.I.R.L.", "SILVIA RAMÍREZ", "SILVIA RAMÍREZ OLIVARES", "LA VICTORIA"),
    ("AGROEXPORT NORTE PERÚ S.A.", "LUIS ENRIQUE ORTIZ", "ALBERTO ZEGARRA LUNA", "MIRAFLORES"),
    ("TEXTILES GAMARRA PREMIUM S.A.C.", "ROXANA CONDORI", "WILFREDO CONDORI APAZA", "LA VICTORIA"),
    ("CONSTRUCTORA PACÍFICO INMOBILIARIA S.A.C.", "PAOLA DELGADO", "RENZO DELGADO FARFÁN", "SANTIAGO DE SURCO"),
    ("IMPORTACIONES TECNOLÓGICAS LIMA S.R.L.", "KEVIN HUAMANÍ", "NATALY HUAMANÍ ROJAS", "SAN BORJA"),
    ("MINERA SAN CRISTÓBAL DE HUARI S.A.", "ENRIQUE SOTO", "GUILLERMO SOTO REÁTEGUI", "SAN ISIDRO"),
    ("FARMACIAS SALUD TOTAL S.A.C.", "DIANA PAZ", "CÉSAR PAZ MONTOYA", "JESÚS MARÍA"),
    ("TRANSPORTES RÁPIDOS CHICLAYO S.A.C.", "HUGO BARRETO", "HUGO BARRETO SIESQUÉN", "SURQUILLO"),
    ("CAFÉ ORGÁNICO SELVA CENTRAL S.A.C.", "MILAGROS QUISPE", "TEODORO RIVERA CAMPOS", "MIRAFLORES"),
    ("LOGÍSTICA PORTUARIA DEL CALLAO S.A.", "ANDRÉS MEJÍA", "FRANCO MEJÍA DÍAZ", "SAN MIGUEL"),
    ("RESTAURANTES SABOR NORTEÑO E.I.R.L.", "JULIA CHUMPITAZ", "JULIA CHUMPITAZ LÓPEZ", "BARRANCO"),
]

# Clients waiting for review (index in the combined list → what is missing).
PENDING_COMPLETE = {5, 21}
PENDING_ONLY_PEN = {7}
PENDING_NO_DOCUMENTS = {13}


def _dni(i):
    return f"{41235000 + i * 7919 % 900000:08d}"


def _ruc(i):
    body = f"20{(51234567 + i * 104729) % 10**8:08d}"
    return body + stdnum_ruc.calc_check_digit(body)


def _digits(seed, length):
    out, x = "", seed * 2654435761 % 10**9 + 12345
    while len(out) < length:
        x = (x * 1103515245 + 12345) % 2**31
        out += str(x % 10)
    return out


BANK_PLAN = [
    # (bank, number length, CCI prefix): numbers and CCIs are generated, CCI always 20 digits.
    (Bank.BCP, 14, "002"),
    (Bank.INTERBANK, 13, "003"),
    (Bank.BBVA, 18, "011"),
    (Bank.SCOTIABANK, 10, "009"),
    (Bank.BANBIF, 12, "038"),
    (Bank.PICHINCHA, 12, "035"),
]


def _accounts_for(i, only_pen=False):
    pen_bank = BANK_PLAN[i % len(BANK_PLAN)]
    usd_bank = BANK_PLAN[(i + 2) % len(BANK_PLAN)]
    plan = [(pen_bank, Currency.PEN)] + ([] if only_pen else [(usd_bank, Currency.USD)])
    if i % 4 == 0 and not only_pen:
        plan.append((BANK_PLAN[(i + 1) % len(BANK_PLAN)], Currency.USD))
    accounts = []
    for n, ((bank, length, cci_prefix), currency) in enumerate(plan):
        number = _digits(i * 10 + n, length)
        accounts.append(
            BankAccount(
                bank=bank,
                account_type=AccountType.CHECKING if (i + n) % 3 == 0 else AccountType.SAVINGS,
                currency=currency,
                number=number,
                cci=cci_prefix + _digits(i * 10 + n + 500, 17),
                location=Location.PROVINCE if i % 7 == 3 else Location.LIMA,
            )
        )
    return accounts


# Persons without nationality and date of birth (clients from before the register asked for them).
REGISTER_DATA_MISSING = {2, 9}
ACTIVITIES = (
    "4690 Venta al por mayor no especializada",
    "4100 Construcción de edificios",
    "5610 Actividades de restaurantes",
    "4923 Transporte de carga por carretera",
    "0111 Cultivo de cereales",
    "6201 Programación informática",
)


def _specs():
    specs = []
    for i, (paterno, materno, nombres, occupation, district, province, department) in enumerate(PERSONS):
        specs.append(
            {
                "document_type": DocumentType.DNI,
                "document_number": _dni(i),
                "apellido_paterno": paterno,
                "apellido_materno": materno,
                "nombres": nombres,
                "occupation": occupation,
                # Two clients registered before the register data was asked: listed "to complete".
                "nationality": "" if i in REGISTER_DATA_MISSING else ("Venezolana" if i % 11 == 4 else "Peruana"),
                "date_of_birth": None
                if i in REGISTER_DATA_MISSING
                else datetime.date(1960 + i % 35, 1 + i % 12, 1 + i % 27),
                "email": f"{nombres.split()[0].lower()}.{paterno.lower()}{i}@correo.pe".translate(
                    str.maketrans("áéíóúñ", "aeioun")
                ),
                "phones": f"9{_digits(i + 100, 8)}",
                "address": f"AV. {['LARCO', 'AREQUIPA', 'JAVIER PRADO', 'BRASIL', 'LA MARINA'][i % 5]} {100 + i * 37}",
                "district": district,
                "province": province,
                "department": department,
            }
        )
    for j, (name, contact, rep, district) in enumerate(COMPANIES):
        slug = "".join(c for c in name.split()[0].lower() if c.isalpha()).translate(str.maketrans("áéíóúñ", "aeioun"))
        specs.append(
            {
                "document_type": DocumentType.RUC,
                "document_number": _ruc(j),
                "razon_social": name,
                "economic_activity": ACTIVITIES[j % len(ACTIVITIES)],
                "contact_person": contact,
                "legal_rep_name": rep,
                "legal_rep_document_type": DocumentType.DNI,
                "legal_rep_document_number": _dni(100 + j),
                "email": f"finanzas@{slug}{j}.com.pe",
                "cc_emails": f"gerencia@{slug}{j}.com.pe" if j % 3 == 0 else "",
                "phones": f"01{_digits(j + 300, 7)}; 9{_digits(j + 400, 8)}",
                "address": f"CALLE {['LAS BEGONIAS', 'LOS PINOS', 'SCHELL', 'DOS DE MAYO'][j % 4]} {200 + j * 11}",
                "district": district,
                "province": "LIMA",
                "department": "LIMA",
                "is_pep": j == 6,
                "pep_position": "Ex regidor" if j == 6 else "",
                "pep_entity": "Municipalidad de Huari" if j == 6 else "",
            }
        )
    return specs


def seed(stdout=None):
    users = {u.username: u for u in User.objects.filter(username__in=["trader", "trader2", "master", "operador"])}
    master = users.get("master")
    reviewer = users.get("operador") or master
    holders = [users[name] for name in ("trader", "trader2") if name in users and can_own_clients(users[name])]
    if not holders or master is None:
        if stdout:
            stdout.write("  (clientes de demostración omitidos: faltan los usuarios trader y master)")
        return []
    _move_from_non_holders(holders[0], by=master)
    created = []
    now = timezone.now()
    for i, spec in enumerate(_specs()):
        if Client.objects.filter(document_type=spec["document_type"], document_number=spec["document_number"]).exists():
            continue
        owner = holders[i % len(holders)]
        pending = i in PENDING_COMPLETE | PENDING_ONLY_PEN | PENDING_NO_DOCUMENTS
        client = Client(**spec, owner=owner, created_by=owner)
        if not pending:
            client.status = ClientStatus.ACTIVE
            client.status_changed_by = reviewer
            client.status_changed_at = now
        client.full_clean()
        client.save()
        for account in _accounts_for(i, only_pen=i in PENDING_ONLY_PEN):
            account.client = client
            account.full_clean()
            account.save()
        if i not in PENDING_NO_DOCUMENTS:
            kinds = [DocumentKind.REP_FRONT, DocumentKind.FICHA_RUC] if client.is_company else [DocumentKind.ID_FRONT]
            for kind in kinds:
                document = ClientDocument(client=client, kind=kind, uploaded_by=owner)
                document.file = ContentFile(PDF, name=f"{kind}.pdf")
                document.save()
        created.append(client)
    if stdout:
        stdout.write(f"  Clientes de demostración: {len(created)} nuevos ({Client.objects.count()} en total).")
    return created


def _move_from_non_holders(holder, *, by):
    """Demo databases seeded before gave clients to the Master: move them to a trader, as the Master would."""
    stray = [c for c in Client.objects.select_related("owner") if not can_own_clients(c.owner)]
    if stray:
        services.reassign_clients(stray, holder, by=by)
