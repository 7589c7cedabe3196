"""``python -m web``: serve the demo clinic page with the chat widget (default port 8080)."""

from web.server import main

if __name__ == "__main__":
    raise SystemExit(main())
