"""Emoji ids (code points in hex joined by '-') and their skin-tone families; standard library
only, so that bench/model/nl_queries.sh needs nothing but python3."""

SKIN = {"1f3fb", "1f3fc", "1f3fd", "1f3fe", "1f3ff"}  # the five skin-tone modifiers


def family(emoji_id):
    """The id without its skin-tone modifiers: one id per skin-tone family."""
    return "-".join(p for p in emoji_id.split("-") if p not in SKIN)
