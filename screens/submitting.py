"""Shown while the controller submits and prints; it has no buttons on purpose."""
from screens.base import KioskScreen


class SubmittingScreen(KioskScreen):
    pass
