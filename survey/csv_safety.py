"""CSV exports that a spreadsheet opens as data, never as formulas."""

from __future__ import annotations

# A spreadsheet treats a cell starting with one of these as a formula (CSV/formula injection);
# tab and carriage return can smuggle one past a naive check.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(cell: object) -> object:
    """The cell, with text that a spreadsheet would evaluate prefixed by a quote."""
    if isinstance(cell, str) and cell.startswith(FORMULA_STARTS):
        return "'" + cell
    return cell
