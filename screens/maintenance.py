"""Put up by the hall manager's remote command; the terminal takes no customers."""
from screens.base import KioskScreen


class MaintenanceScreen(KioskScreen):
    pass
