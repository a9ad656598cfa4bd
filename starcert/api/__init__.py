"""The HTTP API: `create_app(App) -> FastAPI` (see starcert.api.factory)."""

from starcert.api.factory import create_app
from starcert.api.settings import ApiSettings

__all__ = ["ApiSettings", "create_app"]
