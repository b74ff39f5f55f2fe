"""Sphinx configuration: MyST Markdown pages, MyST-NB executes the example pages.

Build with ``make docs`` (warnings are errors, so a broken internal link or cross reference
fails the build); ``make linkcheck`` checks the external links (needs the internet).
"""

from __future__ import annotations

project = "workbench"
author = "workbench"
copyright = "Landkreis Ludwigsburg Integrationsmonitoring; Code MIT"
language = "de"

extensions = ["myst_nb"]
source_suffix = {".md": "myst-nb", ".ipynb": "myst-nb"}
root_doc = "index"
exclude_patterns = ["_build", "_scripts", "Thumbs.db", ".DS_Store", "**.ipynb_checkpoints"]

# GitHub-style anchors (`seite.md#abschnitt`) resolve in the Sphinx build as on GitHub, and a
# link to a heading that does not exist is a warning (= error with -W).
myst_heading_anchors = 4
myst_enable_extensions = ["colon_fence", "deflist"]
suppress_warnings: list[str] = []

# Example pages are executed at every build: their code is tested, an exception fails the build.
nb_execution_mode = "force"
nb_execution_raise_on_error = True
nb_execution_timeout = 300
nb_execution_show_tb = True
nb_merge_streams = True
nb_kernel_rgx_aliases = {".*": "python3"}

html_theme = "furo"
html_title = "workbench – Integrationsmonitoring"
html_static_path: list[str] = []
html_show_sourcelink = False

# Plain ``` blocks are shell output, YAML, units: never try to lex them as Python.
highlight_language = "none"

linkcheck_timeout = 15
linkcheck_retries = 2
