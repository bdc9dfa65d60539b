# Peru writes amounts as 12,345.67 (decimal point), unlike Spain's 12.345,67 that Django's "es"
# falls back to. Staff compare screen figures with bank statements, so every page must agree.
from django.conf.locale.es.formats import *  # noqa: F403

DECIMAL_SEPARATOR = "."
THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3

# The compact forms qoricash.display uses on screens, e-mails and Excel: 30/11/2026 and 30/11/2026 14:07.
SHORT_DATE_FORMAT = "d/m/Y"
SHORT_DATETIME_FORMAT = "d/m/Y H:i"
