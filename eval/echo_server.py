"""The floor of the benchmark: a bare HTTP echo endpoint on Sanic 21.12, the server framework
Rasa 3.6 runs on, with the REST channel's URL and reply shape, and nothing else.

    python -m eval.echo_server --port 5099
"""

from __future__ import annotations

import argparse
import logging

from sanic import Sanic, response


def make_app() -> Sanic:
    app = Sanic("eval_echo_floor")

    @app.get("/")
    async def ready(request):
        return response.text("ok")

    @app.post("/webhooks/rest/webhook")
    async def webhook(request):
        body = request.json or {}
        return response.json([{"recipient_id": body.get("sender"), "text": body.get("message")}])

    return app


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--host", default="127.0.0.1")
    args = parser.parse_args()
    logging.getLogger("sanic.access").setLevel(logging.WARNING)
    make_app().run(host=args.host, port=args.port, access_log=False, workers=1, debug=False)


if __name__ == "__main__":
    main()
