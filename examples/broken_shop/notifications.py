"""Activity: send an email (here: append to an outbox file)."""

from __future__ import annotations

import json
import os
from pathlib import Path


def send_email(to: str, template: str, data: dict) -> bool:
    """Queue an email; the outbox path comes from SHOP_OUTBOX (default: nowhere)."""
    outbox = os.environ.get("SHOP_OUTBOX")
    if outbox:
        with Path(outbox).open("a", encoding="utf-8") as fh:
            fh.write(json.dumps({"to": to, "template": template, "data": data}) + "\n")
    return True
