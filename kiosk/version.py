"""The running program's version: the installed package's metadata (pyproject.toml's
`version`), so there is one place to change it and the console shows what is really installed."""
from __future__ import annotations

import logging
from importlib import metadata

DISTRIBUTION = "bianmin-kiosk"

log = logging.getLogger(__name__)


def app_version() -> str:
    try:
        return metadata.version(DISTRIBUTION)
    except metadata.PackageNotFoundError:
        # Run from a source tree that was never installed (`pip install -e .` makes the metadata).
        log.warning("package %s not installed: version unknown", DISTRIBUTION)
        return "unknown"
