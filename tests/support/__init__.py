"""Shared test bases: access matrix, flat query counts, factories, processes."""
