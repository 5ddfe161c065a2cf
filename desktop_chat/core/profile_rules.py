"""What adding, replacing and removing a provider profile means for the other settings that name it.

One place for these rules, so the settings dialog and ``desktop-chat profiles`` agree:
names are unique, the last profile stays, and the active profile and the starter model's
upkeep profile follow a rename (or are unset when their profile goes). Each function
takes ``save`` (set one setting, validated, return the settings after it) and applies
its changes in order, since a later change depends on what the store made of an earlier one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from desktop_chat.core.errors import NotAllowed
from desktop_chat.core.profiles import ProviderProfile
from desktop_chat.core.settings import Settings

Save = Callable[[str, Any], Settings]


def _refuse_taken(settings: Settings, name: str) -> None:
    if any(p.name == name for p in settings.profiles):
        raise NotAllowed(f"There is already a provider profile named {name!r}; choose another name.")


def add(settings: Settings, profile: ProviderProfile, save: Save, *, activate: bool = False) -> Settings:
    """Add ``profile`` under a name no other profile has; make it the active one when ``activate``."""
    _refuse_taken(settings, profile.name)
    settings = save("profiles", [*settings.profiles, profile])
    if activate:
        settings = save("active_profile", profile.name)
    return settings


def replace(settings: Settings, name: str, profile: ProviderProfile, save: Save) -> Settings:
    """Replace profile ``name`` by ``profile``, which may rename it; what named the old name follows."""
    settings.profile(name)  # refuses an unknown profile, naming the known ones
    renamed = profile.name != name
    if renamed:
        _refuse_taken(settings, profile.name)
    was_active = settings.active_profile == name  # saving the list hands a renamed active profile's place on
    settings = save("profiles", [profile if p.name == name else p for p in settings.profiles])
    if was_active and renamed:
        settings = save("active_profile", profile.name)
    if settings.local_upkeep_profile == name and renamed:
        # The starter model's upkeep follows the rename (a built-in profile cannot keep it: unset then).
        settings = save("local_upkeep_profile", None if profile.is_builtin else profile.name)
    return settings


def remove(settings: Settings, name: str, save: Save) -> Settings:
    """Remove profile ``name``, never the last one; the starter model's upkeep forgets it."""
    settings.profile(name)
    if len(settings.profiles) == 1:
        raise NotAllowed("This is the only provider profile; add another before removing it.")
    settings = save("profiles", [p for p in settings.profiles if p.name != name])
    if settings.local_upkeep_profile == name:
        settings = save("local_upkeep_profile", None)
    return settings
