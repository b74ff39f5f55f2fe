"""workbench: Integrationsmonitoring for Landkreis Ludwigsburg (AGS 08118).

Analysts start here::

    import workbench
    pop = workbench.load_population()
"""

from __future__ import annotations

__version__ = "0.1.0"
