"""JupyterHub configuration file of ``workbench hub`` (``jupyterhub -f`` this file).

All settings come from :class:`workbench.hub.config.HubSettings` (the ``workbench hub``
options); started with plain ``jupyterhub -f``, the defaults apply.
"""

from workbench.hub.config import active_settings, configure

c = get_config()  # noqa: F821 - provided by traitlets when it loads this file
settings = active_settings()
configure(c, settings)
if settings.jupyterhub_config is not None:
    # the site's own additions (e.g. an OIDC authenticator), applied last
    load_subconfig(str(settings.jupyterhub_config))  # noqa: F821 - provided by traitlets
