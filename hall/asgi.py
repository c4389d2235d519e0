"""ASGI entry point for `hall serve --workers N`: each uvicorn worker process imports this and
builds its own app from the settings the parent process put in HALL_SETTINGS_JSON."""
from __future__ import annotations

import json
import os
from pathlib import Path

from hall.app import create_app
from hall.config import HallSettings

_raw = json.loads(os.environ["HALL_SETTINGS_JSON"])
app = create_app(HallSettings(**{**_raw, "catalog_dir": Path(_raw["catalog_dir"])}))
