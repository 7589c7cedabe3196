"""The Rasa featurizer that gives the intent classifier what a message means (nlp/encoder.py).

Word and character n-grams only know the words the training examples used; the sentence
embedding places "will it happen again next time" near "does cervical insufficiency recur".
Each message gets one dense sentence feature row: the all-MiniLM-L6-v2 embedding (unit length)
times ``weight``. A button payload ("/deny") gets a row of zeros, so that every message has the
same columns. The encoder is loaded once per process, when the model is loaded, and its weights
are checked against their pinned SHA-256 first.

The encoder is most of the Rasa server's CPU per message, and Rasa runs the NLU pipeline on its
one event-loop thread. So the channels ``await encode_ahead(text)`` before they hand a message
to Rasa: the embedding is computed in a worker thread (numpy releases the GIL in its matrix
products, so under load it runs on the second core while the event loop serves other
conversations), and the featurizer takes it. If it is not there (another entry point, an
error), or still queued, the featurizer encodes the text itself. Nothing is kept beyond that
hand-over: it is not a cache, and an unclaimed entry is dropped after a few hundred newer ones.
"""
from __future__ import annotations

import asyncio
import hashlib
import logging
from collections import OrderedDict
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any, Dict, List, Optional, Text, Tuple

import numpy as np

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE, TEXT
from rasa.shared.nlu.training_data.features import Features
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from nlp.encoder import DEFAULT_DIR, FILES_SHA256, SentenceEncoder

logger = logging.getLogger(__name__)

_ENCODERS: Dict[Tuple[Path, Optional[int]], SentenceEncoder] = {}
# Embeddings started by the channels, waiting for the featurizer: (encoder, text) -> its Future.
_AHEAD: "OrderedDict[tuple, Future]" = OrderedDict()
AHEAD_MAX = 256
# One thread: one message is encoded at a time, on at most one more core.
_EXECUTOR = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sentence-encoder")


def _checked(model_dir: Path) -> Path:
    """The folder, after its files were checked against their pinned SHA-256 (a partial copy or
    other weights would silently change every prediction)."""
    for name, digest in FILES_SHA256.items():
        path = model_dir / name
        if not path.is_file():
            raise FileNotFoundError(f"{path} is missing: run `make setup` (scripts/fetch_encoder.py)")
        h = hashlib.sha256()
        with open(path, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                h.update(block)
        if h.hexdigest() != digest:
            raise ValueError(f"{path} does not match its pinned SHA-256: run `make setup` again")
    return model_dir


def single_threaded_blas() -> None:
    """One BLAS thread for the whole process. OpenBLAS's extra threads spin while they wait for
    work: with two of them the Rasa server burned 59 ms of CPU per message instead of 33, for
    the same throughput, and took the second core from the action server under load."""
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=1, user_api="blas")


def encoder_for(model_dir: Path = DEFAULT_DIR, layers: Optional[int] = None) -> SentenceEncoder:
    """One encoder (90 MB of weights) per folder, depth and process, shared by every graph node."""
    key = (Path(model_dir).resolve(), layers)
    if key not in _ENCODERS:
        single_threaded_blas()
        _ENCODERS[key] = SentenceEncoder(_checked(key[0]), layers)
    return _ENCODERS[key]


async def encode_ahead(text: Optional[Text]) -> None:
    """Encodes a user's message in the worker thread, before Rasa parses it (see above).

    Does nothing when no model with the encoder is loaded in this process, for button payloads
    and for empty text; never raises (the featurizer then encodes the text itself)."""
    if not _ENCODERS or not isinstance(text, str) or not text.strip() or text.startswith("/"):
        return
    futures = []
    for encoder in list(_ENCODERS.values()):  # one, unless several models are loaded
        key = (id(encoder), text)
        try:
            futures.append(_EXECUTOR.submit(encoder.encode, text))
        except RuntimeError:  # the executor is shut down (the process is exiting)
            return
        _AHEAD[key] = futures[-1]
        _AHEAD.move_to_end(key)
        while len(_AHEAD) > AHEAD_MAX:
            _AHEAD.popitem(last=False)[1].cancel()
    for future in futures:
        try:
            await asyncio.wrap_future(future)
        except asyncio.CancelledError:
            if not future.cancelled():  # this task was cancelled, not the encoding
                raise
        except Exception as error:  # noqa: BLE001 - the featurizer will encode it itself
            logger.warning("sentence encoder: encoding ahead failed (%s)", type(error).__name__)


def _claim(encoder: SentenceEncoder, text: Text) -> Optional[np.ndarray]:
    """The embedding started by ``encode_ahead``, if it has started; None otherwise."""
    future = _AHEAD.pop((id(encoder), text), None)
    if future is None or future.cancel():   # not there, or still queued: encode here instead
        return None
    try:
        return future.result()
    except Exception as error:  # noqa: BLE001 - encode here instead
        logger.warning("sentence encoder: encoding ahead failed (%s)", type(error).__name__)
        return None


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER], is_trainable=False
)
class SentenceEncoderFeaturizer(GraphComponent):
    """The message's sentence embedding as a dense sentence feature."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {"model_dir": str(DEFAULT_DIR), "layers": None, "weight": 1.0}

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "SentenceEncoderFeaturizer":
        config = {**cls.get_default_config(), **config}
        return cls(execution_context.node_name,
                   encoder_for(Path(config["model_dir"]), config["layers"]),
                   float(config["weight"]))

    def __init__(self, name: Text, encoder: SentenceEncoder, weight: float = 1.0) -> None:
        self._name = name
        self._encoder = encoder
        self._weight = weight

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        self.process(training_data.training_examples)
        return training_data

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            text: Optional[Text] = message.get(TEXT)
            if text is None:
                continue  # a training example without text (Rasa trains no intent on it)
            if text.startswith("/"):
                row = np.zeros(self._encoder.dim, dtype=np.float32)
            else:
                ahead = _claim(self._encoder, text)
                row = (ahead if ahead is not None else self._encoder.encode(text)) * self._weight
            message.add_features(Features(row.reshape(1, -1), FEATURE_TYPE_SENTENCE, TEXT, self._name))
        return messages
