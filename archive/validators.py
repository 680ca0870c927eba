"""Rules for text that the public lists link to by the text itself."""

import unicodedata

from django.core.exceptions import ValidationError


def validate_facet_value(value: str) -> None:
    """Text a list's facet offers as a value and links to by that value (a role title, an Ofsted region).

    A facet's link carries the value, and a filter reads it back without surrounding spaces (as every
    form field does): stored with them, the value would be listed with a link that finds nothing. The
    admin's forms strip such spaces; fixtures are refused. A control character cannot be typed into a
    link or shown.
    """
    if value != value.strip():
        raise ValidationError(
            "Remove the spaces at the start or the end: a link to this value would find nothing.",
            code="surrounding_space",
        )
    control = next((character for character in value if unicodedata.category(character) == "Cc"), None)
    if control is not None:
        raise ValidationError(
            f"Remove the control character U+{ord(control):04X}: it cannot be typed into a link or shown.",
            code="control_character",
        )
