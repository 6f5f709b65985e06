"""Shared test bases (NetBox's ``utilities/testing`` is the model): factories that build objects
through the real services, an access-matrix base and a flat-query-count helper. A test module
uses them by declaring a few attributes, not by copying fixtures or loops."""
