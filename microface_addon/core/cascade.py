"""Placeholder for the cascade layer (being written; see its issue). Adds nothing yet."""

NAME = "cascade"


def apply(ctx) -> None:
    return None
