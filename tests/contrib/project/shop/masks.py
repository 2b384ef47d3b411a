"""Mask functions named by dotted path in the tests."""


def initial(text: str) -> str:
    """Only the first character: ``"123-45"`` -> ``"1…"``."""
    return text[:1] + "…"


def broken(text: str) -> str:
    raise RuntimeError("a bug in a mask function")
