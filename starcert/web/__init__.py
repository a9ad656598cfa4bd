"""Server-rendered pages: the operator console and the public verification pages (no build step)."""
