"""Runs the model's graph nodes in order in the calling thread, without dask.

Rasa 3.6 runs its graph (the NLU pipeline for every message, the policies for every action it
predicts: three to five runs per patient message) through ``DaskGraphRunner.run``, which
recomputes the minimal schema for the targets, builds a dask task graph and hands it to
``dask.get``, dask's synchronous scheduler: ordering, a task queue and callbacks for a dozen
nodes called one after the other. It also formats every input of the run into a debug
message, whether or not debug logging is on. Profiling the Rasa server under load
(``python -m eval.bench.cpu --profile``, docs/decisions.md) found that scheduling about 6% of
its time, besides the nodes' own work.

This replaces ``run`` with the same computation done directly: the nodes the targets need
(``GraphSchema.minimal_graph_schema``, computed once per set of targets) are called in
dependency order, each with its dependencies' outputs as dask passes them (a ``(name, value)``
tuple per parent; an input as ``(input name, value)``; a name no node or input provides, as the
bare name, which ``GraphNode.__call__`` warns about), and the targets' outputs are returned as a
dict. The nodes, their inputs and outputs are unchanged, so are the predictions
(tests/test_graph_runner.py compares both runners on the trained model). A node's exception
leaves unchanged too (``RuntimeError`` as Rasa's ``GraphRunError``, as before).

Installed by ``rasa_patches.install()`` (see rasa_patches/__init__.py).
"""

from __future__ import annotations

from typing import Any, Dict, List, Tuple

from rasa.engine.exceptions import GraphRunError
from rasa.engine.runner.dask import DaskGraphRunner

_original = DaskGraphRunner.run

_ORDERS = "_triage_node_orders"


def _order(
    runner: DaskGraphRunner, targets: Tuple[str, ...], inputs: frozenset
) -> List[Tuple[str, Any, list]]:
    """The nodes ``targets`` need, parents first: (name, node, names of its parents). A node
    that an input replaces (dask's graph takes the input in its place) is not run, nor are
    the parents only it needed."""
    orders: Dict[tuple, list] = runner.__dict__.setdefault(_ORDERS, {})
    key = (targets, inputs)
    if key in orders:
        return orders[key]
    schema = runner._graph_schema.minimal_graph_schema(list(targets))
    done: set = set()
    out: list = []

    def visit(name: str) -> None:
        if name in done or name in inputs or name not in schema.nodes:
            return
        done.add(name)
        needs = list(schema.nodes[name].needs.values())
        for parent in needs:
            visit(parent)
        out.append((name, runner._instantiated_nodes[name], needs))

    for target in targets:
        visit(target)
    orders[key] = out
    return out


def run(
    self: DaskGraphRunner,
    inputs: Dict[str, Any] | None = None,
    targets: List[str] | None = None,
) -> Dict[str, Any]:
    """``DaskGraphRunner.run`` without dask (module docstring)."""
    run_targets = tuple(targets if targets else self._graph_schema.target_names)
    order = _order(self, run_targets, frozenset(inputs or ()))
    values: Dict[str, Any] = {}
    for name, value in (inputs or {}).items():
        if isinstance(value, str) and value in self._graph_schema.nodes:
            raise GraphRunError(
                f"Input value '{value}' clashes with a node name. Make sure "
                f"that none of the input names passed to the `run` method are the "
                f"same as node names in the graph schema."
            )
        values[name] = (name, value)
    try:
        for name, node, needs in order:
            values[name] = node(*(values.get(parent, parent) for parent in needs))
    except RuntimeError as e:
        raise GraphRunError("Error running runner.") from e
    return dict(values[target] for target in run_targets)


def install() -> None:
    DaskGraphRunner.run = run


def uninstall() -> None:
    DaskGraphRunner.run = _original
