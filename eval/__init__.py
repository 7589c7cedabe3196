"""Evaluation and benchmarks of the triage bot: `python -m eval {vignettes,nlu,bench,all}`.

- eval/vignettes.yml + eval/vignettes.py: triage safety on scripted patients, over REST;
- eval/nlu.py + eval/entity_gold.yml: intent cross-validation (rasa test nlu) and entity P/R;
- eval/bench/ + eval/echo_server.py: latency, throughput and memory against stock Rasa and
  a bare Sanic floor (bench/targets.py the servers, bench/load.py the load generator,
  bench/report.py the arithmetic and the report, bench/run.py the orchestration).

Reports go to reports/ (not committed). See docs/evaluation.md.
"""
