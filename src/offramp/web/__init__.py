"""The offramp workbench: a web app over the same engines and result objects as the CLI.

``offramp serve`` runs :func:`create_app` with uvicorn. See
``docs/report-and-web.md``.
"""

from __future__ import annotations

from offramp.web.app import create_app
from offramp.web.edit import Edit, apply_edits, dump_document, load_with_edits

__all__ = ["Edit", "apply_edits", "create_app", "dump_document", "load_with_edits"]
