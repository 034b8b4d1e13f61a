"""[[directories]] in the configuration: the bind password is never read from it, a bind
needs a secret's source, defaults follow the directory's kind, bad values are named."""

from __future__ import annotations

import pytest

from lmconsole.config import ConfigError, parse_config


def directories(text: str):
    return parse_config(text, "/etc/lmconsole/config.toml").directories


def problems(text: str) -> list[str]:
    with pytest.raises(ConfigError) as error:
        parse_config(text, "/etc/lmconsole/config.toml")
    return [f"{issue.path}: {issue.message}" for issue in error.value.errors]


def test_defaults_follow_the_kind_and_ldap_urls_speak_starttls():
    ad, ldap = directories('[[directories]]\nname = "corp"\nkind = "active_directory"\n'
                           'url = "ldaps://dc1.corp.example"\n'
                           '[[directories]]\nname = "lab"\nurl = "ldap://ldap.lab:1389"\n'
                           'ca_file = "ca.pem"\n')
    assert (ad.user_name_attribute, ad.member_attributes, ad.tls) == \
        ("sAMAccountName", ("member",), "ldaps")
    assert ad.disabled_filter == "(userAccountControl:1.2.840.113556.1.4.803:=2)"
    assert ad.host_port() == ("dc1.corp.example", 636)
    assert (ldap.user_name_attribute, ldap.tls, ldap.host_port()) == ("uid", "start_tls",
                                                                     ("ldap.lab", 1389))
    assert ldap.verify_certificate is True
    assert ldap.ca_file == "/etc/lmconsole/ca.pem"


def test_a_password_in_the_file_is_refused_and_a_bind_needs_a_secret_source():
    found = problems('[[directories]]\nname = "corp"\nurl = "ldaps://dc1"\n'
                     'bind_dn = "cn=reader"\nbind_password = "hunter2"\n')
    assert found == [
        "directories[0].bind_dn: needs bind_secret_env (an environment variable holding the "
        "password) or bind_secret_command (a command printing it)",
        "directories[0].bind_password: passwords are never read from the configuration; "
        "remove this key and name the password's source with bind_secret_env (an environment "
        "variable) or bind_secret_command (a command)"]


@pytest.mark.parametrize(("line", "message"), [
    ('start_tls = true', "directories[0].start_tls: only for ldap:// URLs"),
    ('user_filter = "objectClass=person"', "directories[0].user_filter: expected an LDAP filter"),
    ('attribute_groups = { CAE = "department=CAE" }',
     "directories[0].attribute_groups: CAE: expected an LDAP filter"),
    ('nesting_depth = -1', "directories[0].nesting_depth: expected an integer from 0 to 100"),
])
def test_bad_values_are_named(line, message):
    found = problems(f'[[directories]]\nname = "corp"\nurl = "ldaps://dc1"\n{line}\n')
    assert found[0].startswith(message), found


def test_a_url_that_is_not_ldap_is_named():
    found = problems('[[directories]]\nname = "corp"\nurl = "http://dc1"\n')
    assert found == ['directories[0].url: expected "ldaps://host[:port]" or '
                     '"ldap://host[:port]" (StartTLS)']
