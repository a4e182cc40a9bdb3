"""Who may reach the console: the `listen` grammar, what counts as loopback, password hashes
(PBKDF2-SHA256 in Django's `pbkdf2_sha256$iterations$salt$hash` form) and constant-time checks.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import secrets

ALGORITHM = "pbkdf2_sha256"
ITERATIONS = 600_000  # OWASP's 2023 figure for PBKDF2-HMAC-SHA256


def parse_listen(text: str) -> tuple[str, int]:
    """`"127.0.0.1:8080"`, `"[::1]:8080"`, `"localhost:8080"` → (host, port); ValueError
    with the text the user sees otherwise."""
    host, sep, port_text = text.rpartition(":")
    if not sep or not host or not port_text.isdigit() or int(port_text) > 65535:
        raise ValueError(f'"{text}" is not HOST:PORT; use e.g. "127.0.0.1:8080", "[::1]:8080" '
                         'or "" (no console)')
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
        try:
            ipaddress.IPv6Address(host)
        except ValueError:
            raise ValueError(f'"{text}": {host} is not an IPv6 address') from None
    elif ":" in host:
        raise ValueError(f'"{text}": write an IPv6 address in brackets, e.g. "[::1]:8080"')
    return host, int(port_text)


def is_loopback(host: str) -> bool:
    """Whether `host` (as written in `listen`) only accepts connections from this machine."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # a name: it may resolve anywhere


def hash_password(password: str, *, salt: str | None = None,
                  iterations: int = ITERATIONS) -> str:
    """A `password_hash` value for `password` (a fresh random salt unless given)."""
    salt = salt or secrets.token_urlsafe(12)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt.encode(), iterations)
    return f"{ALGORITHM}${iterations}${salt}${base64.b64encode(digest).decode()}"


def check_password_hash(value: str) -> None:
    """ValueError, worded for the user, unless `value` is a hash `hash_password` could make."""
    parts = value.split("$")
    ok = len(parts) == 4 and parts[0] == ALGORITHM and parts[1].isdigit() and bool(parts[2])
    if ok:
        try:
            ok = len(base64.b64decode(parts[3], validate=True)) == 32
        except ValueError:
            ok = False
    if not ok:
        raise ValueError("is not a pbkdf2_sha256$ITERATIONS$SALT$HASH value; make one with "
                         "python -m monitor.console.access")


def password_matches(password: str, stored: str) -> bool:
    """Whether `password` hashes to `stored`, compared in constant time."""
    _algorithm, iterations, salt, _digest = stored.split("$")
    candidate = hash_password(password, salt=salt, iterations=int(iterations))
    return hmac.compare_digest(candidate.encode(), stored.encode())


def same_secret(given: str, expected: str) -> bool:
    """Constant-time equality of two secrets (a token, a CSRF token)."""
    return hmac.compare_digest(given.encode(), expected.encode())


if __name__ == "__main__":  # python -m monitor.console.access: print a password_hash
    import getpass

    print(hash_password(getpass.getpass("console password: ")))
