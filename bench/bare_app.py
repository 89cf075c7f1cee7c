"""The yardstick for start-up: a bare Textual app with a Header and a Footer.

Run as a script under a pseudo-terminal; its first frame is the one that shows
MARKER (the title in the Header).
"""

from textual.app import App, ComposeResult
from textual.widgets import Footer, Header

MARKER = "BENCHBAREFRAME"


class BareApp(App):
    TITLE = MARKER

    def compose(self) -> ComposeResult:
        yield Header()
        yield Footer()


if __name__ == "__main__":
    BareApp().run()
