"""The ids of the console's key bindings: what the `[keys]` table of the configuration may
rebind. Listed here, without Textual, so that checking a configuration stays headless; a
test keeps the list equal to the bindings the app and its screens define."""

from __future__ import annotations

BINDING_IDS = frozenset({
    "app.command-line", "app.denials", "app.edit-license", "app.edit-options", "app.events",
    "app.features", "app.help", "app.notes", "app.overview", "app.pause", "app.quit", "app.refresh",
    "app.theme", "backups.close", "command-line.cancel", "command-line.complete",
    "completion.close", "completion.take", "confirm.no", "confirm.yes", "daemon-choice.cancel",
    "editor.close", "editor.complete", "editor.next-problem", "editor.problems", "editor.reread",
    "editor.restart", "editor.rollback", "editor.save",
    "features.open", "help.close", "notes.close", "host-key.refuse", "overview.open", "seats.free",
    "seats.tag", "stream.open", "table.down", "table.first", "table.last", "table.page-down",
    "table.page-up", "table.up", "view.back", "view.filter", "view.sort-next",
    "view.sort-previous", "view.sort-reverse",
    "app.past", "app.reports", "features.history", "past.cancel", "app.past-minute-back",
    "app.past-minute-on", "app.past-hour-back", "app.past-hour-on",
    "history.range-1", "history.range-2", "history.range-3", "history.range-4",
    "history.range-5", "history.back", "history.forward", "history.now", "history.close",
    "history.view", "history.zoom-in", "history.zoom-out",
    "reports.previous", "reports.next", "reports.period-1", "reports.period-2",
    "reports.period-3", "reports.period-4", "reports.csv", "reports.close",
    "app.alerts", "alerts.acknowledge", "alerts.snooze",
    "app.directory", "directory.close",
    "editor.managed-blocks", "app.pools", "pools.close",
})
