"""The coturn configuration in docs/DEPLOYMENT.md refuses every range SECURITY.md names."""

from __future__ import annotations

import ipaddress
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def _config() -> list[str]:
    text = (ROOT / "docs" / "DEPLOYMENT.md").read_text()
    block = text.split("`/etc/turnserver.conf`:\n\n```\n", 1)[1].split("```", 1)[0]
    return [line.strip() for line in block.splitlines() if line.strip() and line[0] != "#"]


def _denied() -> list[tuple[Address, Address]]:
    ranges = []
    for line in _config():
        if line.startswith("denied-peer-ip="):
            low, _, high = line.split("=", 1)[1].partition("-")
            ranges.append((ipaddress.ip_address(low), ipaddress.ip_address(high or low)))
    return ranges


def _is_denied(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    return any(type(low) is type(ip) and low <= ip <= high for low, high in _denied())  # type: ignore[operator]


def test_the_production_settings_security_md_asks_for_are_all_there() -> None:
    names = {line.split("=", 1)[0] for line in _config()}
    assert {
        "use-auth-secret",
        "static-auth-secret",
        "realm",
        "fingerprint",
        "no-cli",
        "no-multicast-peers",
        "no-tcp-relay",
        "no-tlsv1",
        "no-tlsv1_1",
        "total-quota",
        "user-quota",
        "cert",
        "pkey",
    } <= names
    assert "tls-listening-port=5349" in _config()
    assert "alt-tls-listening-port=443" in _config()
    assert not names & {"allow-loopback-peers", "cli-password"}


@pytest.mark.parametrize(
    "address",
    [
        "0.0.0.1",
        "10.20.30.40",
        "100.64.0.1",
        "100.127.255.254",
        "127.0.0.1",
        "169.254.169.254",  # cloud metadata services live here
        "172.16.0.1",
        "172.31.255.254",
        "192.168.1.1",
        "198.18.0.1",
        "198.19.255.254",
        "224.0.0.1",
        "239.255.255.250",
        "255.255.255.255",
        "::",
        "::1",
        "::ffff:10.0.0.1",
        "64:ff9b::a00:1",
        "fc00::1",
        "fd12:3456::1",
        "fe80::1",
        "ff02::1",
    ],
)
def test_private_loopback_link_local_and_special_addresses_are_never_relayed_to(
    address: str,
) -> None:
    assert _is_denied(address)


@pytest.mark.parametrize("address", ["8.8.8.8", "81.2.69.142", "2a00:1450:4009::200e"])
def test_public_addresses_are_relayed_to(address: str) -> None:
    assert not _is_denied(address)
