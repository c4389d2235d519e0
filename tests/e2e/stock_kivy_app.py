"""A stock Kivy app with Kivy's default settings (exit on Escape, F1 settings panel, multitouch
emulation): the escape test's control. The same keys and clicks that must do nothing to the kiosk
visibly do something here — so a test that sees "nothing happened" knows its input arrived."""
import os
import sys

os.environ["KIVY_NO_ARGS"] = "1"

from kivy.app import App  # noqa: E402
from kivy.uix.label import Label  # noqa: E402

if __name__ == "__main__":
    class Stock(App):
        title = sys.argv[1] if len(sys.argv) > 1 else "stock kivy app"

        def build(self):
            return Label(text="stock Kivy app")

    Stock().run()
