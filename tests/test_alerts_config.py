"""[[alerts]] in the configuration: read into rules, every problem told with its line, and
shown back by `config show` as it can be read again."""

from __future__ import annotations

import pytest

from lmconsole.alerts.rules import Kind
from lmconsole.config import ConfigError, parse_config, render_config

RULES = '''
display_timezone = "Europe/Berlin"

[[alerts]]
name = "MATLAB full"
kind = "utilisation"
threshold = 95
clear = 80
for = "10m"
severity = "critical"
features = ["MATLAB*"]
maintenance = ["Sun 02:00-06:00"]

[[alerts]]
kind = "seat_held"
threshold = "2d"
'''


def test_rules_are_read_with_their_defaults_filled_in():
    config = parse_config(RULES, "config.toml")
    matlab, held = config.alerts
    assert (matlab.name, matlab.kind, matlab.threshold, matlab.clear, matlab.for_s,
            matlab.severity, matlab.features) == \
        ("MATLAB full", Kind.UTILISATION, 95, 80, 600, "critical", ("MATLAB*",))
    assert matlab.maintenance[0].zone.key == "Europe/Berlin"
    assert (held.name, held.threshold, held.clear, held.renotify_s) == \
        ("seat_held2", 2 * 86_400, 2 * 86_400, 4 * 3600)


def test_no_rules_written_means_the_default_rules():
    assert parse_config("", "config.toml").alerts is None


def test_config_show_writes_rules_that_read_back_the_same():
    config = parse_config(RULES, "config.toml")
    shown = render_config(config)
    assert '[[alerts]]\nname = "MATLAB full"\nkind = "utilisation"' in shown
    assert parse_config(shown, "shown.toml").alerts == config.alerts


def test_problems_name_their_line():
    with pytest.raises(ConfigError) as error:
        parse_config(RULES.replace("clear = 80", "clear = 99")
                     .replace('threshold = "2d"', 'threshold = "long"'), "config.toml")
    assert str(error.value).splitlines() == [
        "config.toml:8: alerts[0].clear: the clear threshold must be at or below the "
        "threshold (95), or the alert would flap",
        'config.toml:16: alerts[1].threshold: expected a duration such as "10m", "4h" or a '
        "number of seconds",
    ]


def test_config_show_writes_the_delivery_back_without_a_secret():
    text = ('[alerting]\ndeliver_from = "both"\nhook = ["/usr/local/bin/page", "-t", "lic"]\n'
            '[alerting.email]\nhost = "smtp.example.com"\nfrom = "l@example.com"\n'
            'to = ["a@example.com", "b@example.com"]\nuser = "l"\n'
            'secret_command = ["pass", "show", "smtp"]\n')
    config = parse_config(text, "config.toml")
    shown = render_config(config)
    assert parse_config(shown, "shown.toml").alerting == config.alerting
    assert config.alerting.delivered_by("console") and config.alerting.delivered_by("collect")
    assert "secret_command = [" in shown and "password" not in shown


def test_the_examples_rules_and_delivery_read_as_written():
    """config/example.toml's [[alerts]] and [alerting] blocks, uncommented."""
    from lmconsole.config import example_config

    blocks, taking = [], False
    for line in example_config().splitlines():
        if line in ("# [[alerts]]", "# [alerting]"):
            taking = True
        elif not line.startswith("# "):
            taking = False
        if taking:
            blocks.append(line.removeprefix("# ").split("  #")[0])
    config = parse_config("\n".join(blocks) + "\n", "example.toml")
    assert [rule.name for rule in config.alerts] == ["MATLAB nearly full", "people turned away"]
    assert config.alerting.email.secret_env == "LMCONSOLE_SMTP_SECRET"
