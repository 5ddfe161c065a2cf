"""Whether a provider profile keeps data on this machine: the rule behind private facts.

A profile is local when the URL its requests go to has a loopback host
(localhost, 127.0.0.0/8, ::1): a local server such as Ollama, LM Studio, a
llama.cpp server, or the built-in model (which listens on 127.0.0.1). A profile
without a base URL goes where the openai SDK sends it (``OPENAI_BASE_URL``, else
OpenAI), so the same rule is applied to that. Anything else is remote.
"""

from __future__ import annotations

import ipaddress
import os
from urllib.parse import urlsplit

from desktop_chat.core.profiles import ProviderProfile

BASE_URL_ENV = "OPENAI_BASE_URL"


def is_loopback_url(url: str | None) -> bool:
    if not url:
        return False
    try:
        host = urlsplit(url.strip()).hostname or ""
    except ValueError:
        return False
    host = host.lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def is_local_profile(profile: ProviderProfile) -> bool:
    """True when the profile's requests stay on this machine, so private facts may be sent to it."""
    if profile.is_builtin:
        return True  # the app's own server, on 127.0.0.1 and a port picked at start
    return is_loopback_url(profile.base_url or os.environ.get(BASE_URL_ENV))
