"""Speed and memory benchmark, side by side in one run, on this machine, over loopback only.

Targets (all over HTTP POST /webhooks/rest/webhook, JSON {"sender", "message"}):
- project:          this bot through its REST channel, with the action server and the SQLite
                    tracker store (what `make run` runs), on a realistic triage conversation
                    (greeting, symptoms, weeks, contractions -> urgent decision);
- project-postgres: the same with the PostgreSQL tracker store, when 127.0.0.1:5432 answers;
- stock:            stock Rasa 3.6.21: the assistant `rasa init` creates (the same files,
                    written by rasa.cli.scaffold.create_initial_project, which `rasa init`
                    calls), trained here in a temporary folder, `rasa run`, its default
                    in-memory tracker store, on its own kind of conversation ("hello", "I am
                    sad", "yes", "bye");
- floor:            a bare Sanic 21.12 echo endpoint (eval/echo_server.py), the framework Rasa
                    runs on: the cost of HTTP and JSON alone.

At each concurrency (1, 10, 50 conversations at once) every target gets the same number of
conversations, one target after the other, so they share the machine's conditions; and this is
done in several rounds (3 by default), the targets taking turns in each round, because a single
pass was seen to swing the project/stock ratio by 0.1 to 0.4 between runs minutes apart (a
stall such as a PostgreSQL checkpoint lands on whichever target is running). The latency
percentiles pool every round's messages; the ratio to stock Rasa is taken round by round (both
measured within a minute of each other) and the goal is judged on the median round. For the
PostgreSQL target, the checkpoints PostgreSQL ran during each round (pg_stat_bgwriter) are
recorded beside it, so a slow round can be told apart from a slow bot. Each
simulated user runs whole conversations one after another, each with a new sender id; the
latency of every message is timed (asyncio + aiohttp). Reported per target and concurrency:
p50/p95/p99 latency, messages per second (messages / wall time), errors (transport errors,
non-200 answers, and for the project a conversation that does not end in the urgent triage
decision). Plus time from start to ready, training time (a cold `rasa train` with an empty
cache), and the peak RSS (VmHWM) of every process, summed over the process tr

The package, one job a module:
- eval/bench/targets.py: the four servers: start, wait until ready, stop; a cold timed `rasa
  train`; peak memory from /proc; the throwaway PostgreSQL database and its checkpoints;
- eval/bench/load.py: the load generator (simulated users over aiohttp) and LevelResult, one
  target at one concurrency, with its percentiles;
- eval/bench/report.py: the arithmetic over the results (ratios, goals) and the markdown and
  plot;
- eval/bench/run.py: the orchestration (targets up, rounds at each concurrency, targets down)
  and `main`, which `python -m eval bench` calls.
- eval/bench/cpu.py: a short measurement on its own (`python -m eval.bench.cpu`): the
  project's bot alone, CPU milliseconds per message of the Rasa server and the action server
  (optionally with a py-spy profile of the Rasa server), to compare before and after a change
  without the full run.
"""

from __future__ import annotations

from .load import LevelResult
from .report import goals_check, ratios, render
from .run import main, run

__all__ = ["LevelResult", "goals_check", "main", "ratios", "render", "run"]
