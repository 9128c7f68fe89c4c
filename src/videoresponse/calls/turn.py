"""ICE servers for a browser: STUN, and TURN with short-lived credentials. Pure, no I/O.

TURN credentials follow coturn's `use-auth-secret` scheme (the "TURN REST API" draft,
draft-uberti-behave-turn-rest-00): the username is "EXPIRY:LABEL", with EXPIRY a Unix time,
and the password is base64(HMAC-SHA1(shared secret, username)). coturn recomputes the
password from the username and refuses it after EXPIRY, so nothing is stored and a leaked
credential dies on its own (ASVS 17.1.1).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Sequence
from dataclasses import dataclass

IceServer = dict[str, str | list[str]]


@dataclass(frozen=True)
class TurnCredential:
    username: str
    credential: str
    expires_at: int


def turn_credential(secret: str, label: str, now: int, ttl_seconds: int) -> TurnCredential:
    """A credential valid until `now + ttl_seconds` (Unix seconds) for `label`."""
    if not secret:
        raise ValueError("TURN needs a shared secret")
    if ttl_seconds <= 0:
        raise ValueError("A TURN credential must live longer than zero seconds")
    if ":" in label:
        raise ValueError("A TURN label cannot contain ':' (it separates the expiry)")
    expires_at = now + ttl_seconds
    username = f"{expires_at}:{label}"
    # SHA-1 because coturn's scheme names it; HMAC-SHA1 is still a sound MAC.
    digest = hmac.new(secret.encode(), username.encode(), hashlib.sha1).digest()
    return TurnCredential(username, base64.b64encode(digest).decode("ascii"), expires_at)


def ice_servers(
    *,
    stun_urls: Sequence[str],
    turn_urls: Sequence[str],
    turn_secret: str,
    label: str,
    now: int,
    ttl_seconds: int,
) -> list[IceServer]:
    """RTCIceServer dictionaries; none configured means host candidates only."""
    servers: list[IceServer] = []
    if stun_urls:
        servers.append({"urls": list(stun_urls)})
    if turn_urls:
        made = turn_credential(turn_secret, label, now, ttl_seconds)
        servers.append(
            {"urls": list(turn_urls), "username": made.username, "credential": made.credential}
        )
    return servers
