"""Cell values for the Excel files we write.

openpyxl stores any string starting with "=" as a formula, and spreadsheet programs also run
cells starting with +, -, @, tab or CR. A client called '=HYPERLINK(...)' must arrive as text.
"""

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    """Return `value` unchanged unless it is text that a spreadsheet would execute; then quote it."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value
