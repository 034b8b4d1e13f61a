"""Directories (OpenLDAP, Active Directory): their configuration, what a sync reads from
them (model), and when each is due (schedule). The LDAP client is in
lmconsole.adapters.ldap; the dated history of users, groups and membership in
lmconsole.history.directory."""
