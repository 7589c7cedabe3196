"""The Rasa featurizer that gives the intent classifier what a message means (nlp/encoder.py).

Word and character n-grams only know the words the training examples used; the sentence
embedding places "will it happen again next time" near "does cervical insufficiency recur".
Each message gets one dense sentence feature row (SentenceRowFeaturizer in
nlp/rasa_components.py): the all-MiniLM-L6-v2 embedding (unit length) times ``weight``; a button
payload ("/deny") gets a row of zeros. The encoder is loaded once per process, when the model is
loaded, and its weights are checked against their pinned SHA-256 first.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, Tuple

import numpy as np
from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.training_data.message import Message

from nlp.encoder import DEFAULT_DIR, SentenceEncoder, unpinned_files
from nlp.rasa_components import SentenceRowFeaturizer

_ENCODERS: Dict[Tuple[Path, int | None], SentenceEncoder] = {}


def _checked(model_dir: Path) -> Path:
    """The folder, after its files were checked against their pinned SHA-256 (a partial copy or
    other weights would silently change every prediction)."""
    for name, problem in unpinned_files(model_dir).items():
        if problem == "missing":
            raise FileNotFoundError(
                f"{model_dir / name} is missing: run `make setup` (scripts/fetch_encoder.py)"
            )
        raise ValueError(f"{model_dir / name} {problem}: run `make setup` again")
    return model_dir


def single_threaded_blas() -> None:
    """One BLAS thread for the whole process. OpenBLAS's extra threads spin while they wait for
    work: with two of them the Rasa server burned 59 ms of CPU per message instead of 33, for
    the same throughput, and took the second core from the action server under load."""
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=1, user_api="blas")


def encoder_for(model_dir: Path = DEFAULT_DIR, layers: int | None = None) -> SentenceEncoder:
    """One encoder (90 MB of weights) per folder, depth and process, shared by every graph node."""
    key = (Path(model_dir).resolve(), layers)
    if key not in _ENCODERS:
        single_threaded_blas()
        _ENCODERS[key] = SentenceEncoder(_checked(key[0]), layers)
    return _ENCODERS[key]


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER], is_trainable=False)
class SentenceEncoderFeaturizer(SentenceRowFeaturizer):
    """The message's sentence embedding as a dense sentence feature."""

    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        # model_dir None: nlp/encoder_model of the code that runs the model, wherever the
        # model was trained (the trained model stores its config, so no absolute path).
        return {"model_dir": None, "layers": None, "weight": 1.0}

    @classmethod
    def create(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> SentenceEncoderFeaturizer:
        config = {**cls.get_default_config(), **config}
        return cls(
            execution_context.node_name,
            encoder_for(Path(config["model_dir"] or DEFAULT_DIR), config["layers"]),
            float(config["weight"]),
        )

    def __init__(self, name: str, encoder: SentenceEncoder, weight: float = 1.0) -> None:
        super().__init__(name, weight)
        self._encoder = encoder

    def row(self, message: Message, text: str) -> np.ndarray:
        if text.startswith("/"):  # a button payload: an all-zero row
            return np.zeros(self._encoder.dim, dtype=np.float32)
        return self._encoder.encode(text)
