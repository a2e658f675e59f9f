"""Customer onboarding: welcome mail, wait for email confirmation, nudge once, then activate."""

from __future__ import annotations

from continuum import TIMEOUT, Workflow, activity, await_signal, days, timer
from shop.notifications import send_email


class OnboardingFlow(Workflow, version=1, signals=["email_confirmed"]):
    """Welcome a new customer and activate the account once the email is confirmed."""

    def run(self, customer: dict) -> dict:
        activity(send_email, customer["email"], "welcome", {"name": customer["name"]})
        confirmed = await_signal("email_confirmed", timeout=days(2))
        if confirmed is TIMEOUT:
            activity(send_email, customer["email"], "reminder", {"name": customer["name"]})
            confirmed = await_signal("email_confirmed", timeout=days(5))
        if confirmed is TIMEOUT:
            return {"customer": customer["email"], "status": "abandoned"}
        timer(days(1))
        activity(send_email, customer["email"], "tips", {"name": customer["name"]})
        return {"customer": customer["email"], "status": "active"}
