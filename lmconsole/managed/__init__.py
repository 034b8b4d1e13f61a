"""Managed blocks of options files: GROUP / HOST_GROUP lines kept in sync with the directory
groups (`lmconsole directory options`), and allocation pools compiled into RESERVE / MAX /
INCLUDE lines (`lmconsole pools`). Their configuration (config), the new text of a server's
options file (plan), and its save through lmconsole.edit's safe path (apply). What the
lines look like is the adapter's (lmconsole.adapter.OptionsBlocks)."""
