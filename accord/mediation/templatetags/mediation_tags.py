"""``{{ amount_fen|yuan }}``: fen shown as yuan with two decimals (1234500 → 12,345.00)."""

from django import template

register = template.Library()


@register.filter
def yuan(fen) -> str:
    if fen in (None, ""):
        return "—"
    return f"{int(fen) / 100:,.2f}"
