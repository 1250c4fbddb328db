"""Browser libraries the pages load from `static/vendor/`, never from a CDN at run time.

`scripts/install` runs `npm install` (versions pinned by the root `package-lock.json`) and then
`scripts/vendor`, which copies the few dist files below into `static/vendor/` (gitignored). A
gateway started without them still runs; the pages that need them say how to get them.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

STATIC_DIR = Path(__file__).resolve().parent / "static"
VENDOR_DIR = STATIC_DIR / "vendor"
VENDOR_URL = "/static/vendor"
MISSING_HINT = (
    "The browser player's libraries are not installed: run `scripts/install` "
    "(npm install, then scripts/vendor copies them into the gateway's static/vendor/)."
)


class VendorFile(StrEnum):
    HLS = "hls.mjs"
    HLS_WORKER = "hls.worker.js"
    DASH = "dash.mjs"
    SWAGGER_JS = "swagger-ui-bundle.js"
    SWAGGER_CSS = "swagger-ui.css"

    @property
    def url(self) -> str:
        return f"{VENDOR_URL}/{self.value}"


def missing(*files: VendorFile, directory: Path | None = None) -> list[VendorFile]:
    """Which of `files` are not installed (checked per request: installing needs no restart)."""
    folder = directory or VENDOR_DIR
    return [file for file in files if not (folder / file.value).is_file()]


# The vodstack ABR as an ES module, written next to its Python original (player/web/abr.js);
# served from there, so the browser runs the same algorithm the simulator measures.
PLAYER_WEB_DIR = STATIC_DIR.parent.parent / "player" / "web"
PLAYER_WEB_URL = "/static/player-web"
ABR_MODULE = PLAYER_WEB_DIR / "abr.js"
ABR_URL = f"{PLAYER_WEB_URL}/abr.js"
