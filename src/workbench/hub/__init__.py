"""The multi-user deployment on JupyterHub (``workbench hub``, issue 13).

* ``users`` – the users file (bcrypt hashes) and its JupyterHub authenticator;
* ``config`` – the hub configuration built from :class:`~workbench.hub.config.HubSettings`;
* the LDAP/Active Directory login lives in :mod:`workbench.hub_ldap`.

Rights (which group may write what) live in :mod:`workbench.access`, not here: the store
enforces them where the write happens.
"""
