"""The communes and hamlets the logged-in user may see, by Vietnamese name."""

from __future__ import annotations

from service.classifier import get_classifier
from service.communes import allows
from service.pages.login import current_user


def commune_names() -> dict[str, str]:
    """Commune id -> Vietnamese name, for the communes the logged-in user may see."""
    scope = current_user().communes
    return {key: commune.name for key, commune in get_classifier().engine().communes.communes.items()
            if allows(scope, key)}


def hamlet_names() -> dict[str, str]:
    """Hamlet choices of the user's communes: "<commune id>:<hamlet id>" (hamlet ids repeat across
    communes) -> hamlet name, with the commune's name when the user sees several communes."""
    directory = get_classifier().engine().communes
    names = commune_names()
    return {f"{key}:{hamlet_id}": hamlet.name + (f" ({names[key]})" if len(names) > 1 else "")
            for key in names for hamlet_id, hamlet in directory.communes[key].hamlets.items()}
