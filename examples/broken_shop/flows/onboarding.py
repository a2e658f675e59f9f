"""Customer onboarding, with configuration read at import and an unseeded random choice."""

from __future__ import annotations

import os
import random

from broken_shop.notifications import send_email
from continuum import TIMEOUT, Workflow, activity, await_signal, days, timer

# CN110: every worker computes its own value at import; replays on another worker differ.
REMINDER_AFTER_DAYS = int(os.environ.get("SHOP_REMINDER_DAYS", "2"))

WELCOME_TEMPLATES = ["welcome-a", "welcome-b"]


class OnboardingFlow(Workflow, version=1, signals=["email_confirmed"]):
    """Welcome a new customer and activate the account once the email is confirmed."""

    def run(self, customer: dict) -> dict:
        template = random.choice(WELCOME_TEMPLATES)  # CN102: A/B pick differs on replay
        activity(send_email, customer["email"], template, {"name": customer["name"]})
        confirmed = await_signal("email_confirmed", timeout=days(REMINDER_AFTER_DAYS))
        if confirmed is TIMEOUT:
            activity(send_email, customer["email"], "reminder", {"name": customer["name"]})
            confirmed = await_signal("email_confirmed", timeout=days(5))
        if confirmed is TIMEOUT:
            return {"customer": customer["email"], "status": "abandoned"}
        timer(days(1))
        activity(send_email, customer["email"], "tips", {"name": customer["name"]})
        return {"customer": customer["email"], "status": "active"}
