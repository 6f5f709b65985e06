"""Accord — the harmonious-labour-relations service platform of a district HR bureau."""

__version__ = "0.1.0"
