"""Generated people: names, valid Peruvian documents, bank accounts. Deterministic from a Random.

Document numbers come from a fixed permutation of the index (unique without remembering any), so
the generator can produce 250,000 clients in one pass.
"""

from stdnum.pe import ruc as stdnum_ruc

from clients.models import AccountType, Bank, Currency, DocumentType, Location

SURNAMES = [
    "QUISPE",
    "MAMANI",
    "HUAMÁN",
    "FLORES",
    "SÁNCHEZ",
    "RODRÍGUEZ",
    "GARCÍA",
    "ROJAS",
    "CHÁVEZ",
    "TORRES",
    "DÍAZ",
    "RAMOS",
    "VARGAS",
    "CASTILLO",
    "MENDOZA",
    "RUIZ",
    "ESPINOZA",
    "VÁSQUEZ",
    "GUTIÉRREZ",
    "PÉREZ",
    "GONZÁLEZ",
    "CASTRO",
    "NÚÑEZ",
    "ROMERO",
    "SALAZAR",
    "MORALES",
    "CRUZ",
    "MEDINA",
    "ORTIZ",
    "SILVA",
    "AGUILAR",
    "HERRERA",
    "CÓRDOVA",
    "PAREDES",
    "ACOSTA",
    "CCAHUANA",
    "CONDORI",
    "TICONA",
    "PUMA",
    "HUANCA",
    "LÓPEZ",
    "MARTÍNEZ",
    "FERNÁNDEZ",
    "JIMÉNEZ",
    "ALVARADO",
    "GUERRERO",
    "CAMPOS",
    "VEGA",
    "LEÓN",
    "RÍOS",
    "CABRERA",
    "PALOMINO",
]
GIVEN_NAMES = [
    "JUAN",
    "JOSÉ",
    "LUIS",
    "CARLOS",
    "JORGE",
    "MIGUEL",
    "ÁNGEL",
    "CÉSAR",
    "VÍCTOR",
    "ROSA",
    "MARÍA",
    "CARMEN",
    "ANA",
    "LUCÍA",
    "SOFÍA",
    "VALERIA",
    "CAMILA",
    "DIEGO",
    "ANDRÉS",
    "RENZO",
    "GIANCARLO",
    "PIERO",
    "FIORELLA",
    "MILAGROS",
    "YESENIA",
    "ROXANA",
    "ELIZABETH",
    "GUSTAVO",
    "RAÚL",
    "WILFREDO",
    "EDGAR",
    "NOEMÍ",
    "GLADYS",
    "PATRICIA",
    "ALEJANDRO",
    "SEBASTIÁN",
    "MATEO",
    "ISABEL",
    "JIMENA",
]
COMPANY_WORDS = [
    "ANDINA",
    "INTEGRAL",
    "PACÍFICO",
    "INCA",
    "SUR",
    "NORTE",
    "LOGÍSTICA",
    "MINERA",
    "AGRO",
    "TEXTIL",
    "IMPORT",
    "EXPORT",
    "SERVICIOS",
    "COMERCIAL",
    "INDUSTRIAL",
    "CONSTRUCTORA",
    "INVERSIONES",
    "TECNOLOGÍA",
    "ALIMENTOS",
    "MARKET",
]
COMPANY_FORMS = ("S.A.C.", "S.A.", "E.I.R.L.", "S.R.L.")
DISTRICTS = ("MIRAFLORES", "SAN ISIDRO", "SURCO", "LA MOLINA", "SAN BORJA", "LINCE", "ATE", "CHORRILLOS")
OCCUPATIONS = ("Comerciante", "Ingeniero", "Contadora", "Médico", "Administrador", "Docente", "Abogada")

# Bank weights (BCP and Interbank dominate); BBVA and Scotiabank need a CCI (clients.models).
BANKS = (Bank.BCP,) * 5 + (Bank.INTERBANK,) * 3 + (Bank.BBVA,) * 2 + (Bank.SCOTIABANK,) * 2 + (Bank.BANBIF,)
CCI_BANK_CODE = {Bank.BCP: "002", Bank.INTERBANK: "003", Bank.BBVA: "011", Bank.SCOTIABANK: "009", Bank.BANBIF: "038"}
NEEDS_CCI = {Bank.BBVA, Bank.SCOTIABANK}


def _permute(i, modulus, salt):
    """A bijection of range(modulus) (48271 is prime and divides none of the moduli used here)."""
    return (48271 * i + salt) % modulus


def document(i, rnd, salt):
    """(document_type, number) for client number i: unique per i, valid for its type."""
    roll = rnd.random()
    if roll < 0.12:
        body = f"20{_permute(i, 10**8, salt):08d}"
        return DocumentType.RUC, body + stdnum_ruc.calc_check_digit(body)
    if roll < 0.16:
        return DocumentType.CE, f"{100000000 + i:09d}"
    if roll < 0.18:
        return DocumentType.PASSPORT, f"P{i:08d}"
    return DocumentType.DNI, f"{10**7 + _permute(i, 9 * 10**7, salt):08d}"


def names(document_type, rnd):
    """The name fields of a client of that document type (upper case, as normalize() stores them)."""
    if document_type == DocumentType.RUC:
        words = rnd.sample(COMPANY_WORDS, 2)
        return {
            "razon_social": f"{rnd.choice(SURNAMES)} {' '.join(words)} {rnd.choice(COMPANY_FORMS)}",
            "contact_person": f"{rnd.choice(GIVEN_NAMES)} {rnd.choice(SURNAMES)}",
        }
    return {
        "apellido_paterno": rnd.choice(SURNAMES),
        "apellido_materno": rnd.choice(SURNAMES),
        "nombres": rnd.choice(GIVEN_NAMES) + (f" {rnd.choice(GIVEN_NAMES)}" if rnd.random() < 0.5 else ""),
        "occupation": rnd.choice(OCCUPATIONS),
    }


def contact(i, rnd):
    return {
        "email": f"cliente{i}@correo.example.pe",
        "phones": f"9{rnd.randrange(10**8):08d}",
        "address": f"AV. {rnd.choice(SURNAMES)} {rnd.randrange(100, 3000)}",
        "district": rnd.choice(DISTRICTS),
        "province": "LIMA",
        "department": "LIMA",
    }


def account(account_id, currency, rnd):
    """(bank, account_type, currency, number, cci, location, snapshot) of a client account."""
    bank = rnd.choice(BANKS)
    number = f"{191 + len(bank)}{account_id:011d}"
    cci = ""
    if bank in NEEDS_CCI or rnd.random() < 0.6:
        cci = f"{CCI_BANK_CODE[bank]}{account_id:017d}"
    account_type = AccountType.SAVINGS if rnd.random() < 0.8 else AccountType.CHECKING
    location = Location.LIMA if rnd.random() < 0.8 else Location.PROVINCE
    snapshot = f"{Bank(bank).label} {currency} {number}"
    return bank, account_type, currency, number, cci, location, snapshot


def account_currencies(rnd):
    """2 to 4 accounts: always one in soles and one in dollars."""
    extra = rnd.choices((0, 1, 2), weights=(60, 30, 10))[0]
    return [Currency.PEN, Currency.USD] + [rnd.choice((Currency.PEN, Currency.USD)) for _ in range(extra)]
