"""Reports on the history (`lmconsole report NAME`): one module per report, each an async
function of the store and a Question that returns a Report. The figures are SQL aggregates;
each report's module says how each is defined."""

from __future__ import annotations

from .borrowing import borrowing
from .concurrency import concurrency
from .denials import denials
from .efficiency import efficiency
from .forecast import forecast
from .groups import groups
from .heatmap import heatmap
from .projects import projects
from .reservations import reservations
from .users import users
from .utilisation import utilisation

REPORTS = {"utilisation": utilisation, "denials": denials, "concurrency": concurrency,
           "efficiency": efficiency, "heatmap": heatmap, "reservations": reservations,
           "borrowing": borrowing, "users": users, "forecast": forecast, "groups": groups,
           "projects": projects}
