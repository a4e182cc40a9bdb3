"""`[veille.http]`: where the console listens and what opens it, checked at load; password
hashes; `veille serve` refusing what it must refuse."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.cli import main
from monitor.config import load_config
from monitor.console.access import (
    check_password_hash,
    hash_password,
    is_loopback,
    parse_listen,
    password_matches,
)
from monitor.errors import ConfigError


def load(tmp_path: Path, http: str, environ: dict[str, str] | None = None) -> object:
    path = tmp_path / "config.toml"
    path.write_text(f'[veille]\ndatabase = "sqlite:///{tmp_path}/v.db"\n\n[veille.http]\n{http}')
    return load_config(path, environ or {})


def problems(tmp_path: Path, http: str, environ: dict[str, str] | None = None) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load(tmp_path, http, environ)
    return caught.value.problems


class TestListen:
    """The default is loopback; other addresses need a secret from the environment."""

    def test_defaults(self, tmp_path: Path) -> None:
        path = tmp_path / "config.toml"
        path.write_text("[veille]\n")
        http = load_config(path, {}).veille.http
        assert (http.listen, http.token, http.password_hash) == ("127.0.0.1:8080", None, None)

    @pytest.mark.parametrize("listen", ["", "127.0.0.1:0", "[::1]:8080", "localhost:9000",
                                        "127.0.0.5:80"])
    def test_loopback_or_off_needs_nothing(self, tmp_path: Path, listen: str) -> None:
        config = load(tmp_path, f'listen = "{listen}"\n')
        assert config.veille.http.listen == listen  # type: ignore[attr-defined]

    @pytest.mark.parametrize("listen", ["0.0.0.0:8080", "[::]:8080", "192.168.1.5:80",
                                        "veille.example.org:8080"])
    def test_reachable_without_a_secret_is_refused(self, tmp_path: Path, listen: str) -> None:
        assert problems(tmp_path, f'listen = "{listen}"\n') == [
            f'{tmp_path / "config.toml"}: veille.http.listen: "{listen}" is reachable from '
            "other machines: set token or password_hash (from ${NAME}) so that only your team "
            "opens the console, or listen on 127.0.0.1"]

    @pytest.mark.parametrize("listen,message", [
        ("8080", "is not HOST:PORT"), ("host:http", "is not HOST:PORT"),
        ("::1:8080", "write an IPv6 address in brackets"), ("[nope]:80", "is not an IPv6"),
        ("127.0.0.1:70000", "is not HOST:PORT")])
    def test_bad_addresses(self, tmp_path: Path, listen: str, message: str) -> None:
        found = problems(tmp_path, f'listen = "{listen}"\n')
        assert len(found) == 1 and "veille.http.listen" in found[0] and message in found[0]

    def test_unknown_key(self, tmp_path: Path) -> None:
        found = problems(tmp_path, 'listen = "127.0.0.1:1"\nport = 8080\n')
        assert found == [f"{tmp_path / 'config.toml'}: veille.http.port: unknown key"]


class TestSecrets:
    """A token or a password hash comes from `${ENV}`, and no summary ever shows it."""

    def test_a_literal_token_is_refused(self, tmp_path: Path) -> None:
        found = problems(tmp_path, 'listen = "0.0.0.0:8080"\ntoken = "hunter2hunter2"\n')
        assert len(found) == 1 and "veille.http.token: write it as" in found[0]
        assert "hunter2" not in found[0]

    def test_from_the_environment(self, tmp_path: Path) -> None:
        digest = hash_password("pw", iterations=1000)
        config = load(tmp_path, 'listen = "0.0.0.0:8080"\ntoken = "${T}"\n'
                      'password_hash = "${H}"\n', {"T": "tok-tok-tok", "H": digest})
        http = config.veille.http  # type: ignore[attr-defined]
        assert (http.token, http.password_hash) == ("tok-tok-tok", digest)
        described = config.describe()  # type: ignore[attr-defined]
        assert "tok-tok-tok" not in described and digest not in described
        assert config.redact(f"x {digest} tok-tok-tok") == "x *** ***"  # type: ignore[attr-defined]

    def test_a_malformed_hash_is_refused(self, tmp_path: Path) -> None:
        found = problems(tmp_path, 'password_hash = "${H}"\n', {"H": "md5$abc"})
        assert len(found) == 1 and "pbkdf2_sha256$ITERATIONS$SALT$HASH" in found[0]


class TestAccess:
    """The pieces the console checks requests with."""

    def test_password_hashes_round_trip(self) -> None:
        stored = hash_password("correct horse", iterations=1000)
        check_password_hash(stored)
        assert password_matches("correct horse", stored)
        assert not password_matches("correct horsE", stored)
        assert stored != hash_password("correct horse", iterations=1000)  # salted

    def test_listen_and_loopback(self) -> None:
        assert parse_listen("[::1]:8080") == ("::1", 8080)
        assert [is_loopback(h) for h in ("127.0.0.1", "::1", "localhost", "0.0.0.0",
                                         "10.0.0.1", "example.org")] == [
            True, True, True, False, False, False]


class TestServe:
    """`veille serve` refuses an unprotected reachable address and a console turned off."""

    def test_refusals(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        path = tmp_path / "config.toml"
        path.write_text(f'[veille]\ndatabase = "sqlite:///{tmp_path}/v.db"\n'
                        '[veille.http]\nlisten = ""\n')
        assert main(["-c", str(path), "serve"]) == 2
        assert 'listen is ""' in capsys.readouterr().err
        assert main(["-c", str(path), "serve", "--listen", "0.0.0.0:8080"]) == 2
        assert "reachable from other machines" in capsys.readouterr().err
        assert main(["-c", str(path), "serve", "--listen", "nope"]) == 2
        assert "is not HOST:PORT" in capsys.readouterr().err
