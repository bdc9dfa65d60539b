# Peru writes amounts as 12,345.67 (decimal point), unlike Spain's 12.345,67 that Django's "es"
# falls back to. Staff compare screen figures with bank statements, so every page must agree.
from django.conf.locale.es.formats import *  # noqa: F403

DECIMAL_SEPARATOR = "."
THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3
