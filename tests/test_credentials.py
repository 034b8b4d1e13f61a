"""The secrets for an LDAP bind and an SMTP login: from an environment variable or from the
first line a real command prints, and errors that never show the command's output."""

from __future__ import annotations

import sys

import pytest

from lmconsole.credentials import SecretError, read_secret


def command(tmp_path, code: str) -> tuple[str, ...]:
    script = tmp_path / "secret.py"
    script.write_text(code)
    return (sys.executable, str(script))


def test_the_environment_variable_comes_first():
    assert read_secret("S", ("false",), {"S": "from env"}, "secret") == "from env"
    with pytest.raises(SecretError, match=r"^the environment variable S \(secret_env\) is not set$"):
        read_secret("S", None, {"S": ""}, "secret")


def test_the_first_line_a_command_prints(tmp_path):
    # `pass show` prints the password, then its notes
    printing = command(tmp_path, "print('s3cret word'); print('url: smtp.example.com')\n")
    assert read_secret(None, printing, {}, "bind_secret") == "s3cret word"


def test_a_failing_or_silent_command_is_explained_without_its_output(tmp_path):
    failing = command(tmp_path, "import sys; print('half-secret'); sys.exit('vault locked')\n")
    with pytest.raises(SecretError) as failed:
        read_secret(None, failing, {}, "bind_secret")
    assert str(failed.value).endswith("exited 1: vault locked")
    assert "half-secret" not in str(failed.value)
    silent = command(tmp_path, "print()\nprint('second line only')\n")
    with pytest.raises(SecretError, match="printed no secret on its first line"):
        read_secret(None, silent, {}, "secret")
    with pytest.raises(SecretError, match="secret_command /no/such/program: No such file"):
        read_secret(None, ("/no/such/program",), {}, "secret")


def test_none_named_means_no_secret():
    assert read_secret(None, None, {}, "secret") is None
