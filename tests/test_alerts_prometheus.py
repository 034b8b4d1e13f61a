"""config/prometheus-alerts.yml: Prometheus's rule-file layout, and every metric and label
it names is one `lmconsole snapshot --format prometheus` writes."""

from __future__ import annotations

import re
from importlib import resources

import yaml

from lmconsole.demo import demo_snapshot
from lmconsole.prometheus import render_prometheus


def rules() -> list[dict]:
    text = resources.files("lmconsole.defaults").joinpath("prometheus-alerts.yml").read_text()
    [group] = yaml.safe_load(text)["groups"]
    return group["rules"]


def written() -> dict[str, set[str]]:
    """Each metric of the demo's exposition, with the labels its series carry."""
    labels: dict[str, set[str]] = {}
    for line in render_prometheus(demo_snapshot()).splitlines():
        match = re.match(r"([a-z_]+)(?:\{(.*)\})? ", line)
        if match:
            names = re.findall(r'([a-z_]+)="', match.group(2) or "")
            labels.setdefault(match.group(1), set()).update(names)
    return labels


def test_the_rules_are_laid_out_as_prometheus_reads_them():
    found = rules()
    assert len({r["alert"] for r in found}) == len(found) >= 8
    for rule in found:
        assert set(rule) <= {"alert", "expr", "for", "keep_firing_for", "labels", "annotations"}
        assert rule["labels"]["severity"] in ("warning", "critical")
        assert rule["annotations"]["summary"]


def test_every_metric_and_label_named_is_one_we_write():
    metrics = written()
    for rule in rules():
        expr = rule["expr"]
        used = set(re.findall(r"\b((?:flexlm|lmconsole)_[a-z_]+)", expr))
        assert used and used <= set(metrics), (rule["alert"], used - set(metrics))
        labels = set.intersection(*(metrics[name] for name in used))
        grouped = {name.strip() for group in re.findall(r"\b(?:by|on) \(([^)]*)\)", expr)
                   for name in group.split(",")}
        shown = set(re.findall(r"\$labels\.([a-z_]+)", str(rule["annotations"])))
        assert grouped | shown <= labels, (rule["alert"], (grouped | shown) - labels)
