"""A scripted stand-in for the bot, speaking through a real socket.io channel.

It mounts a real channel on a Sanic app with Rasa's own CORS set-up (rasa.server.configure_cors,
what `rasa run --cors` does) and answers from a fixed script instead of a trained model, so the
widget's browser tests are fast and deterministic while the wire format is the real one:

--channel project  the project's channels.socketio.SafetyNetSocketIOInput (credentials.yml):
                   text, quick_replies and custom {"triage": ...} in one bot_uttered
--channel rasa     Rasa's stock rasa.core.channels.socketio.SocketIOInput, with the installed
                   python-socketio: text split on blank lines, then the custom payload as a
                   separate bot_uttered (it must be {"data": {...}}: the stock channel passes
                   the custom dict to sio.emit as keyword arguments)

Both with session_persistence: true.

    python tests/web/scripted_bot.py --port 5099 [--channel project|rasa] [--cors '*'] [--log f]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import sys
import warnings
from pathlib import Path
from typing import Any, Dict, List

warnings.filterwarnings("ignore")

DELAY = 0.6  # seconds before answering, so the typing indicator can be seen

GESTATION_BUTTONS = [  # as in content/answers.yml
    {"title": "Under 14 weeks", "payload": '/inform_gestational_age{"gestational_age": 13.9}'},
    {"title": "14 to 27 weeks", "payload": '/inform_gestational_age{"gestational_age": 27.9}'},
    {"title": "28 to 36 weeks", "payload": '/inform_gestational_age{"gestational_age": 36.9}'},
    {"title": "37 weeks or more", "payload": '/inform_gestational_age{"gestational_age": 38}'},
    {"title": "I don't know", "payload": "/unsure"},
]
CONTRACTION_BUTTONS = [
    {"title": "Yes", "payload": "/affirm"},
    {"title": "No", "payload": "/deny"},
    {"title": "Not sure", "payload": "/unsure"},
]

URGENT_TEXT = (
    "Thank you. A feeling of pressure low down in the middle of pregnancy can mean the cervix "
    "is opening early, so it needs to be checked today.\n\n"
    "Call Riverside Maternity Triage (labour ward) now on 01632 960 111. They are open 24 hours "
    "a day.\nIf you start bleeding heavily, feel something coming out of your vagina, or your "
    "waters break, call 999."
)
EMERGENCY_TEXT = (
    "Heavy bleeding in pregnancy is an emergency.\n\n"
    "Call 999 now. Do not drive yourself to hospital."
)
XSS_BOT_TEXT = (
    '<b>not bold</b> <img src=x onerror="window.__botXss=1"> '
    "[a link](javascript:window.__botXss=2) <script>window.__botXss=3</script>"
)


CHANNEL = "project"


def triage_payload(level: str, concerns: List[str]) -> Dict[str, Any]:
    custom = {
        "triage": {
            "level": level,
            "concerns": concerns,
            "reasons": [{"rule": "R-demo", "text": "scripted", "source": "test"}],
        }
    }
    return custom if CHANNEL == "project" else {"data": custom}


async def answer(message: Any) -> None:
    out = message.output_channel
    rid = message.sender_id
    text = (message.text or "").strip()
    low = text.lower()
    await asyncio.sleep(DELAY)

    if low in ("hello", "hi", "/greet"):
        await out.send_response(
            rid,
            {
                "text": "Hello. I can help you decide who to call about a "
                "symptom in pregnancy. What is happening?"
            },
        )
    elif "pressure" in low or "heavy feeling" in low:
        await out.send_response(
            rid,
            {
                "text": "I'm sorry you are dealing with this. How many weeks pregnant are you?",
                "buttons": GESTATION_BUTTONS,
            },
        )
    elif low.startswith("/inform_gestational_age") or re.search(r"\b\d{1,2}\s*(weeks?|w)\b", low):
        await out.send_response(
            rid,
            {
                "text": "Are you having contractions: tightenings or pains that come and go?",
                "buttons": CONTRACTION_BUTTONS,
            },
        )
    elif low in ("/deny", "no"):
        # Exactly what an action's dispatcher.utter_message(text=..., json_message=...) turns
        # into: Rasa sends the text (split on blank lines), then the custom payload.
        await out.send_response(
            rid,
            {"text": URGENT_TEXT, "custom": triage_payload("urgent", ["cervical_insufficiency"])},
        )
    elif "bleeding heavily" in low:
        await out.send_response(
            rid, {"text": EMERGENCY_TEXT, "custom": triage_payload("emergency", ["haemorrhage"])}
        )
    elif low == "show xss":
        await out.send_response(rid, {"text": XSS_BOT_TEXT})
    elif low == "fail after replying":
        # What Rasa does when the database is down: the replies are made, then the save fails.
        await out.send_response(rid, {"text": "A reply the store never saved"})
        raise RuntimeError("the tracker store could not save")
    else:
        await out.send_response(rid, {"text": f"You said: {text}"})


def build_app(
    port: int,
    cors: str,
    log_path: Path | None,
    channel_kind: str,
    settings: Dict[str, Any] | None = None,
):
    """``settings``: extra credentials (rate_limits, max_turns, require_token) for the
    project's channels; with them, the project's REST channel is mounted too."""
    global CHANNEL
    from sanic import Sanic

    CHANNEL = channel_kind
    credentials = {
        "user_message_evt": "user_uttered",
        "bot_message_evt": "bot_uttered",
        "session_persistence": True,
        **(settings or {}),
    }
    from rasa.core.channels.socketio import SocketIOInput

    from channels.socketio import SafetyNetSocketIOInput

    Input: type[SocketIOInput] = (
        SafetyNetSocketIOInput if channel_kind == "project" else SocketIOInput
    )
    channel = Input.from_credentials(credentials)

    async def on_new_message(message: Any) -> None:
        if log_path is not None:
            with log_path.open("a", encoding="utf-8") as f:
                f.write(json.dumps({"sender_id": message.sender_id, "text": message.text}) + "\n")
        try:
            await answer(message)
        except Exception as exc:  # show it in the log, like Rasa would
            print(
                f"scripted_bot: error answering {message.text!r}: {exc!r}",
                file=sys.stderr,
                flush=True,
            )
            raise

    app = Sanic(f"scripted_bot_{port}")
    if cors != "none":
        from rasa.server import configure_cors  # Rasa's own `rasa run --cors` set-up

        configure_cors(app, cors)
    app.blueprint(channel.blueprint(on_new_message))
    if settings is not None and channel_kind == "project":
        from channels.rest import SafetyNetRestInput

        rest = SafetyNetRestInput.from_credentials(settings)
        app.blueprint(rest.blueprint(on_new_message), url_prefix="/webhooks/rest")
    return app


def main() -> None:
    global DELAY
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--cors", default="*", help="like `rasa run --cors`; 'none' for no CORS")
    parser.add_argument("--log", type=Path, default=None)
    parser.add_argument("--channel", choices=["project", "rasa"], default="project")
    parser.add_argument("--settings", default=None, help="JSON: extra channel credentials")
    parser.add_argument("--delay", type=float, default=DELAY, help="seconds before answering")
    args = parser.parse_args()
    DELAY = args.delay
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the project's channels/
    settings = json.loads(args.settings) if args.settings else None
    app = build_app(args.port, args.cors, args.log, args.channel, settings)
    print(f"scripted bot ({args.channel} channel) on http://{args.host}:{args.port}", flush=True)
    app.run(host=args.host, port=args.port, access_log=False, workers=1)


if __name__ == "__main__":
    main()
