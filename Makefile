# Two commands do everything: `make run` and `make test` (see README.md).
.PHONY: run test test-unit lint setup train lock eval eval-sealed eval-nlu bench clean cluster cluster-stop
run:
	scripts/run.sh
test:
	scripts/test.sh
# The fast tests (no model, servers, browser, PostgreSQL or Redis), and lint alone.
test-unit:
	scripts/test_unit.sh
lint: setup
	scripts/lint.sh
setup:
	scripts/setup.sh
train: setup
	scripts/train.sh
lock:
	scripts/lock.sh
eval: setup
	.venv/bin/python -m eval vignettes
eval-sealed: setup
	.venv/bin/python -m eval sealed
eval-nlu: setup
	.venv/bin/python -m eval nlu
bench: setup
	.venv/bin/python -m eval bench
clean:
	rm -rf models .rasa results reports var nlp/base_model web/static/widget .coverage .coverage.*
# Scale-out on this machine: HAProxy, two Rasa servers, two action servers, PostgreSQL, Redis.
cluster:
	scripts/cluster.sh
cluster-stop:
	scripts/cluster_stop.sh
