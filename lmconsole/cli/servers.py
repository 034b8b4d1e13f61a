"""The configured servers as the headless commands reach them: each with its licence
manager's adapter (its `manager`) and its transport."""

from __future__ import annotations

from datetime import UTC, datetime

from lmconsole.inputs import InputError


def server_queries(config, names: list[str] | None):
    from lmconsole.adapters import ADAPTERS
    from lmconsole.snapshot import ServerQuery

    servers = list(config.servers)
    if not servers:
        raise InputError("no servers configured: run `lmconsole config init` and edit it, or "
                         "use --from-file or --demo")
    if names:
        known = {server.name: server for server in servers}
        missing = [name for name in names if name not in known]
        if missing:
            raise InputError(f"no server named {', '.join(missing)} in the configuration "
                             f"(configured: {', '.join(known)})")
        servers = [known[name] for name in names]
    return [ServerQuery(server, ADAPTERS[server.manager], transport_for(server))
            for server in servers]


def transport_for(server):
    if server.transport == "local":
        from lmconsole.adapters.transports.local import LocalTransport

        return LocalTransport()
    if server.transport == "sim":
        from lmconsole.demo import simulator_transport

        return simulator_transport(server, now=datetime.now(UTC))
    if server.transport == "ssh":
        from lmconsole.adapters.transports.ssh import SshTransport
        from lmconsole.config import ssh_keepalive

        # Headless: an unknown host key fails with a message saying how to add it, unless
        # the server's entry accepts new keys (a changed key is refused either way).
        accept_new = (lambda host, key_type, fingerprint: True) \
            if server.ssh_accept_new_host_key else None
        return SshTransport(server.ssh_host, user=server.ssh_user, port=server.ssh_port,
                            config_paths=[server.ssh_config] if server.ssh_config else None,
                            known_hosts=server.known_hosts, ask_unknown_host=accept_new,
                            **ssh_keepalive(server))
    raise InputError(f"server {server.name}: unknown transport {server.transport!r}")
