"""JupyterHub configuration file of ``workbench hub`` (``jupyterhub -f`` this file).

All settings come from :class:`workbench.hub.config.HubSettings` (the ``workbench hub``
options); started with plain ``jupyterhub -f``, the defaults apply.
"""

from workbench.hub.config import active_settings, configure

c = get_config()  # noqa: F821 - provided by traitlets when it loads this file
configure(c, active_settings())
