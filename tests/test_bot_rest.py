"""The real bot over Rasa's REST channel: the conversations a patient has, end to end
(NLU with spaCy, the rules, the form, the action server, the triage core, the replies)."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

from eval.servers import Bot
from triage import load_clinic

pytestmark = pytest.mark.e2e
CLINIC = load_clinic()


def triage_of(messages: list[dict]) -> Any:
    """The one triage payload of a reply (a dict), or None."""
    found = [m["custom"]["triage"] for m in messages if (m.get("custom") or {}).get("triage")]
    assert len(found) <= 1, messages
    return found[0] if found else None


def texts(messages: list[dict]) -> str:
    return "\n".join(m.get("text") or "" for m in messages)


def button_titles(messages: list[dict]) -> list[str]:
    return [b["title"] for m in messages for b in m.get("buttons") or []]


def assert_safety_net(messages: list[dict]) -> None:
    text = texts(messages)
    assert CLINIC.emergency_number in text, text
    assert CLINIC.maternity_triage.phone in text, text


def test_first_message_starts_with_the_disclaimer(bot: Bot, sender):
    messages = bot.send(sender, "hello")
    first = messages[0]["text"]
    assert "diagnos" in first.lower() and CLINIC.emergency_number in first


def test_cervical_insufficiency_path_typed(bot: Bot, sender):
    asked = bot.send(sender, "i have pressure down below and a bit of spotting")
    # Weeks unknown: the advice as things stand (urgent, the window assumed) comes first,
    # provisional, holding only at same day (it could be early pregnancy); then the question.
    first = triage_of(asked)
    assert first["level"] == "urgent" and first["provisional"] and first["floor"] == "same_day"
    assert "weeks pregnant" in texts(asked) and "13 to 27 weeks" in button_titles(asked)
    asked = bot.send(sender, "20 weeks")
    # Now urgent whatever the answer: the floor. Advice is not repeated; the question follows.
    assert triage_of(asked) is None or triage_of(asked)["floor"] == "urgent"
    assert "contractions" in texts(asked).lower()
    assert button_titles(asked) == ["Yes", "No", "Not sure"]
    answer = bot.send(sender, "no")
    decision = triage_of(answer)
    assert decision["level"] == "urgent"
    assert decision["concerns"][0] == "cervical_insufficiency"
    assert any(r["rule"] == "U1" and r["source"] for r in decision["reasons"])
    text = texts(answer)
    assert "no contractions does not mean everything is fine" in text.lower()
    assert_safety_net(answer)


def test_cervical_insufficiency_path_with_buttons(bot: Bot, sender):
    bot.send(sender, "i've got some spotting")
    bot.send(sender, '/inform_gestational_age{"gestational_age": 27.9}')
    decision = triage_of(bot.send(sender, "/deny"))
    assert decision["level"] == "urgent" and "cervical_insufficiency" in decision["concerns"]


def test_everything_in_one_message_with_typos_and_negation(bot: Bot, sender):
    answer = bot.send(
        sender, "im 21 wks, presure down below and spoting, no contractons, it doesnt come and go"
    )
    decision = triage_of(answer)
    assert decision is not None, texts(answer)
    assert decision["level"] == "urgent"
    assert decision["concerns"][0] == "cervical_insufficiency"


def test_preterm_labour_path(bot: Bot, sender):
    bot.send(sender, "i keep getting tightenings every 10 minutes")
    decision = triage_of(bot.send(sender, "31 weeks"))
    assert decision["level"] == "urgent" and "preterm_labour" in decision["concerns"]


def test_red_flag_in_the_middle_of_the_form(bot: Bot, sender):
    asked = bot.send(sender, "feels like pressure in my vagina")
    assert "weeks pregnant" in texts(asked)
    answer = bot.send(sender, "i just fainted in the bathroom")
    decision = triage_of(answer)
    assert decision["level"] == "emergency" and "collapse" in decision["concerns"]
    assert f"Call {CLINIC.emergency_number} now" in texts(answer)
    # The form is over: a new message is not answered with the form's question.
    assert "weeks pregnant" not in texts(bot.send(sender, "thanks"))


@pytest.mark.parametrize(
    "message",
    [
        "im bleeding really heavily and soaking a pad every hour",
        "I'm 20 weeks and I can feel something bulging out of my vagina",
        "22 weeks, sharp constant pain in my tummy that doesn't stop",
    ],
)
def test_red_flag_in_the_first_message(bot: Bot, sender, message):
    decision = triage_of(bot.send(sender, message))
    assert decision["level"] == "emergency"


def test_how_much_blood_is_asked_and_heavy_calls_the_emergency_number(bot: Bot, sender):
    asked = bot.send(sender, "22 weeks and bleeding, no contractions")
    first = triage_of(asked)
    assert first["level"] == "urgent" and first["provisional"], texts(asked)
    assert "How much are you bleeding?" in asked[-1]["text"]
    assert "Heavy: soaking a pad, clots, or running down my legs" in button_titles(asked)
    answer = bot.send(sender, "loads")
    decision = triage_of(answer)
    assert decision["level"] == "emergency" and not decision.get("provisional")
    assert texts(answer).startswith(f"Call {CLINIC.emergency_number} now")


@pytest.mark.parametrize(
    "answer", ["not much", "not sure", '/report_bleeding{"bleeding_amount": "spotting"}']
)
def test_an_amount_that_is_not_heavy_keeps_the_advice_and_is_asked_once(bot: Bot, sender, answer):
    bot.send(sender, "im bleeding at 22 weeks, no tightenings")
    reply = bot.send(sender, answer)
    decision = triage_of(reply)
    assert decision["level"] == "urgent" and not decision.get("provisional"), texts(reply)
    assert "does not change my advice" in texts(reply) and "How much" not in texts(reply)
    assert_safety_net(reply)


def test_information_question_is_answered_without_escalating(bot: Bot, sender):
    answer = bot.send(sender, "what is a cerclage")
    assert "stitch" in texts(answer) and triage_of(answer) is None
    assert_safety_net(answer)


def test_information_question_during_the_form_then_the_form_goes_on(bot: Bot, sender):
    bot.send(sender, "i've had some spotting")
    answer = bot.send(sender, "what is cervical insufficiency")
    assert "neck of the womb" in texts(answer)
    assert "weeks pregnant" in texts(answer)


def test_refusing_to_answer_still_gets_the_safe_answer(bot: Bot, sender):
    bot.send(sender, "i have some bleeding")
    asked = bot.send(sender, "i'd rather not say")
    assert "How much are you bleeding?" in texts(asked)
    asked = bot.send(sender, "i'd rather not say")
    assert "contractions" in texts(asked).lower()
    decision = triage_of(bot.send(sender, "not telling you that"))
    assert decision["level"] == "urgent"
    assert {"cervical_insufficiency", "preterm_labour"} <= set(decision["concerns"])


def test_hypothetical_symptoms_are_not_triaged_as_present(bot: Bot, sender):
    answer = bot.send(sender, "what should i do in case the pains start?")
    decision = triage_of(answer)
    assert decision is None or decision["level"] != "emergency"
    assert_safety_net(answer)


@pytest.mark.parametrize(
    "message",
    [
        "",
        "   ",
        "😀😀😀",
        "<img src=x onerror=alert(1)><script>alert(1)</script>",
        "x" * 20_000,
        "word " * 4000,
    ],
    ids=["empty", "whitespace", "emoji", "markup", "20000-chars", "4000-words"],
)
def test_bad_input_gets_a_calm_reply_with_the_safety_net_and_the_conversation_goes_on(
    bot: Bot, sender, message
):
    answer = bot.send(sender, message)
    assert answer, "no reply"
    assert_safety_net(answer)
    assert triage_of(answer) is None, answer  # nonsense is "not understood", never triaged
    follow_up = bot.send(sender, "im 20 weeks with pressure in my vagina and no contractions")
    assert triage_of(follow_up)["level"] == "urgent"


# -- a patient not fluent in English (hazard HZ-15) ------------------------------------------


@pytest.mark.parametrize(
    "language,message",
    [
        ("es", "Estoy sangrando un poco, tengo 20 semanas"),
        ("pl", "Krwawię, jestem w 22 tygodniu ciąży"),
        # Once a "bad input" case (then answered in English about cervical insufficiency):
        ("es", "¿Qué es la insuficiencia cervical? Estoy sangrando un poco."),
    ],
    ids=["spanish-bleeding", "polish-bleeding", "spanish-question-and-bleeding"],
)
def test_a_message_in_another_language_gets_the_card_in_that_language_first(
    bot: Bot, sender, language, message
):
    """The trained model reads these as out of scope or an information question; the reply
    still leads with the safety card in the patient's language, numbers from clinic.yml, then
    the English "not understood" reply with the interpreter line, and the chat goes on."""
    from triage.languages import interpreter_line, safety_card

    bot.send(sender, "hello")  # the conversation has started: the disclaimer is behind us
    reply = bot.send(sender, message)
    card = reply[0]
    assert card["text"] == safety_card(language, CLINIC)
    assert (card.get("custom") or {}).get("language") == language
    first, second = card["text"].splitlines()[:2]
    assert CLINIC.maternity_triage.phone in first and CLINIC.emergency_number in second
    rest = texts(reply[1:])
    assert "didn't understand" in rest and interpreter_line() in rest
    assert_safety_net(reply[1:])
    assert triage_of(reply) is None
    follow_up = bot.send(sender, "im 20 weeks with pressure in my vagina and no contractions")
    assert triage_of(follow_up)["level"] == "urgent"


def test_a_foreign_message_the_model_triages_still_gets_its_card_first(bot: Bot, sender):
    """The model files this one as contractions: the English advice follows the card."""
    from triage.languages import safety_card

    bot.send(sender, "hello")
    reply = bot.send(sender, "tengo 20 semanas y tengo contracciones")
    assert reply[0]["text"] == safety_card("es", CLINIC)
    assert reply[0]["custom"] == {"language": "es"}
    assert_safety_net(reply[1:])
    decision = triage_of(reply)
    assert decision is None or decision["level"] in ("urgent", "emergency")


def test_a_first_message_in_polish_gets_its_card_straight_after_the_disclaimer(bot: Bot, sender):
    """Rasa sends the session's disclaimer before it reads the first message: the card is
    the next message, still before any other English."""
    from triage.languages import safety_card

    reply = bot.send(sender, "Krwawię, jestem w 22 tygodniu ciąży")
    assert "diagnose" in reply[0]["text"]
    assert reply[1]["text"] == safety_card("pl", CLINIC)
    assert reply[1]["custom"] == {"language": "pl"}


def test_bad_requests_are_refused_clearly(bot: Bot):
    url = f"{bot.rasa_url}/webhooks/rest/webhook"
    assert httpx.post(url, content=b"{not json", timeout=10).status_code == 400
    assert httpx.post(url, json={"message": "hi"}, timeout=10).status_code == 400
    assert httpx.post(url, json={"sender": ["x"], "message": "hi"}, timeout=10).status_code == 400


def test_nothing_of_the_patients_text_is_logged(bot: Bot, sender):
    marker = f"zebracrossing{uuid.uuid4().hex[:8]}"
    bot.send(sender, f"i have {marker} bleeding and pressure")
    bot.send(sender, f"{marker} 20 weeks")
    assert marker not in bot.logs()


def test_the_tracker_store_keeps_the_conversation(bot: Bot, sender):
    import sqlalchemy as sa

    bot.send(sender, "im 20 weeks with pressure in my vagina and no contractions")
    engine = sa.create_engine(bot.db_url)
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text("select type_name, data from events where sender_id = :s order by id"),
            {"s": sender},
        ).fetchall()
    bots = [json.loads(data) for kind, data in rows if kind == "bot"]
    assert any(
        ((b.get("data") or {}).get("custom") or {}).get("triage", {}).get("level") == "urgent"
        for b in bots
    )
    slots = {json.loads(d)["name"]: json.loads(d)["value"] for k, d in rows if k == "slot"}
    assert slots["gestational_weeks"] == 20.0 and "vaginal_pressure" in slots["symptoms"]


# -- advice first, on the words patients use (issue: triage on real patients' words) ----------


@pytest.mark.parametrize(
    "message,level",
    [
        ("im 24 weeks and theres clear fluid leaking", "urgent"),
        ("my waters have gone", "urgent"),
        ("31 weeks and a bit of light bleeding", "urgent"),
        ("had a small bleed this morning, its stopped now, 20 weeks", "urgent"),
        ("is spotting normal at 20 weeks? im spotting", "urgent"),
        ("my daughter is bleeding heavily, she's 22 weeks pregnant", "emergency"),
        ("30 weeks and i have chest pain and cant catch my breath", "emergency"),
    ],
)
def test_the_first_reply_carries_the_advice_when_the_first_message_is_enough(
    bot: Bot, sender, message, level
):
    """A patient may leave after one message: the reply to it names the number to call."""
    reply = bot.send(sender, message)
    decision = triage_of(reply)
    assert decision is not None and decision["level"] == level, texts(reply)
    first = next(m["text"] for m in reply if (m.get("custom") or {}).get("triage"))
    number = CLINIC.emergency_number if level == "emergency" else CLINIC.maternity_triage.phone
    assert first.splitlines()[0].startswith(("Call", "If you might act")) and number in first


def test_someone_writing_for_her_daughter_gets_advice_worded_for_the_helper(bot: Bot, sender):
    reply = bot.send(sender, "my daughter is bleeding heavily, she's 22 weeks pregnant")
    assert "Tell them she is pregnant" in texts(reply)


def test_a_problem_in_words_the_bot_cannot_place_is_never_reassured(bot: Bot, sender):
    reply = bot.send(sender, "something feels really wrong, 20 weeks")
    decision = triage_of(reply)
    assert decision is not None and decision["level"] in ("urgent", "emergency")
    assert "did not find any warning signs" not in texts(reply)


def test_the_weeks_alone_get_advice_when_they_are_enough(bot: Bot, sender):
    """41 weeks or more with nothing wrong is a talk about induction (R4), said at once; 20
    weeks alone asks what is happening, and reassures no one."""
    decision = triage_of(bot.send(sender, "41+3"))
    assert decision is not None and decision["level"] == "routine"
    assert "R4" in [r["rule"] for r in decision["reasons"]]
    reply = bot.send(sender + "-b", "20 weeks")
    assert triage_of(reply) is None and "What is happening?" in texts(reply)


def test_a_common_complaint_gets_self_care_with_the_warning_signs(bot: Bot, sender):
    reply = bot.send(sender, "30 weeks and I've got heartburn after every meal")
    decision = triage_of(reply)
    assert decision is not None and decision["level"] == "self_care", texts(reply)
    assert "common discomforts of pregnancy" in texts(reply)
    assert "pain under your ribs" in texts(reply)


def _listening_addresses(port: int) -> set[str]:
    """The local IPv4 addresses listening on ``port`` (from /proc/net/tcp, no traffic sent)."""
    found = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        local, state = line.split()[1], line.split()[3]
        address, hex_port = local.split(":")
        if state == "0A" and int(hex_port, 16) == port:
            found.add(".".join(str(b) for b in reversed(bytes.fromhex(address))))
    return found


def test_the_action_server_listens_on_loopback_only(bot: Bot):
    port = int(bot.actions_url.rsplit(":", 1)[1].split("/")[0])
    assert _listening_addresses(port) == {"127.0.0.1"}


def test_clean_user_text_keeps_the_words_around_a_cut_emoji():
    """The widget's 1,000-character cut can split an emoji into a lone surrogate; the
    channel makes the text encodable so the NLU reads the rest instead of failing."""
    from channels.handling import clean_user_text

    cleaned = clean_user_text("bleeding heavily \ud83d")
    assert cleaned.startswith("bleeding heavily") and cleaned.encode("utf-8")
    assert clean_user_text(None) == "" and clean_user_text(12) == "12"


def test_a_cut_emoji_does_not_lose_the_red_flag(bot: Bot, sender):
    # What a browser's JSON.stringify sends for a lone surrogate: the escape, not UTF-8.
    body = json.dumps({"sender": sender, "message": "im bleeding heavily \ud83d"})  # ASCII
    response = httpx.post(
        f"{bot.rasa_url}/webhooks/rest/webhook",
        content=body,
        headers={"Content-Type": "application/json"},
        timeout=30,
    )
    decision = triage_of(response.json())
    assert decision is not None and decision["level"] == "emergency"


def test_a_forged_command_with_a_dict_value_cannot_crash_the_actions(bot: Bot, sender):
    """A button payload with a dict-valued entity (it once crashed action_extract_findings) is
    read as patient text; the conversation goes on and the red flag after it is caught."""
    forged = '/inform_gestational_age{"gestational_age": {"weeks": 20}}'
    first = bot.send(sender, forged)
    assert texts(first) and not all((m.get("custom") or {}).get("safety_net") for m in first)
    decision = triage_of(bot.send(sender, "I'm bleeding heavily"))
    assert decision is not None and decision["level"] == "emergency"
    assert "Traceback" not in bot.logs()


def test_a_repeated_message_id_is_stored_once(bot: Bot, sender):
    import sqlalchemy as sa

    body = {
        "sender": sender,
        "message": "20 weeks, pressure down below",
        "message_id": uuid.uuid4().hex,
    }
    url = f"{bot.rasa_url}/webhooks/rest/webhook"
    first = httpx.post(url, json=body, timeout=30).json()
    again = httpx.post(url, json=body, timeout=30).json()
    assert first == again and texts(first)
    engine = sa.create_engine(bot.db_url)
    with engine.connect() as conn:
        users = conn.execute(
            sa.text("select data from events where sender_id = :s and type_name = 'user'"),
            {"s": sender},
        ).fetchall()
    assert [json.loads(d)["message_id"] for (d,) in users] == [body["message_id"]]
