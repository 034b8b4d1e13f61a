"""A simulated Reprise RLM server: the rlm server and its ISV servers, enforcing their
options files on a seeded workload of people (the FlexLM simulator's timeline, workload and
daemons), an rlmutil command line (`rlmstat -a`, `rlmreread`, `rlmremove`) whose output is
RLM's layout, and the report log of the ISV whose options file asks for one.

    server = RlmServer.from_scenario("studio", seed=1)
    server.advance(3600)
    server.rlmutil(["rlmutil", "rlmstat", "-a"])
    server.log.lines
    server.status(tz)
"""

from .server import RlmServer, load_rlm_scenario
from .service import RlmSimulator

__all__ = ["RlmServer", "RlmSimulator", "load_rlm_scenario"]
