# Two commands do everything: `make run` and `make test` (see README.md).
.PHONY: run test setup train lock eval bench clean
run:
	scripts/run.sh
test:
	scripts/test.sh
setup:
	scripts/setup.sh
train: setup
	scripts/train.sh
lock:
	scripts/lock.sh
clean:
	rm -rf models .rasa results reports var nlp/base_model
