"""The Rasa NLU component that plugs the clinical spaCy pipeline (nlp.extract) into Rasa.

It adds the findings as Rasa entities (the role carries negation and context, see
docs/architecture.md), and it lets the rules overrule the statistical intent classifier where
safety needs it. Which intent wins is decided by the pure function
:func:`nlp.intent_override.intent_override` (its module lists the rules and the intent sets):
a current or resolved red flag (or a heavy bleed) is always ``report_red_flag``; a message with
a current or resolved symptom is always triaged (a question with one becomes the symptom's
intent); a message with nothing to read, or nonsense the classifier took for a symptom, becomes
``nlu_fallback`` (a calm "not understood" with the full safety net). The training vocabulary
for the nonsense check is learned at training time.
The override is recorded in the message (``intent.overridden_by`` and
``intent.classifier_intent``) and put first in the intent ranking, above the classifier's own
ranking, for the nurse console and evaluation.

``ClinicalFeaturizer`` runs the same extraction earlier in the pipeline and hands its findings to
the intent classifier as features (which symptoms are present, denied or only mentioned, whether
there is a gestational age, a risk factor, a bleeding amount, someone else's pregnancy). Without
word vectors the classifier cannot know that "21wks" is a gestational age or that "spotting
19+3" reports bleeding; the rules can. The extraction is kept on the message, so the extractor
at the end of the pipeline does not run it a second time.
"""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path
from typing import Any, Dict, FrozenSet, List, Tuple

import numpy as np
import scipy.sparse
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.logistic_regression_classifier import LogisticRegressionClassifier
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.shared.nlu.constants import (
    ENTITIES,
    FEATURE_TYPE_SENTENCE,
    INTENT,
    INTENT_RANKING_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data.features import Features
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from spacy.lang.en.stop_words import STOP_WORDS

import nlp
from nlp.codes import BLEEDING_AMOUNTS, COMMON_COMPLAINT, CONTEXTS, RED_FLAGS, SYMPTOMS
from nlp.intent_override import (
    SYMPTOM_REPORT_INTENTS,
    intent_override,
    more_than_a_complaint,
    words,
)
from nlp.lexicon import load_yaml, patterns_path, string_list

logger = logging.getLogger(__name__)

VOCABULARY_FILE = "training_vocabulary.json"
#: The words the training examples use only to report a symptom (never in a greeting, a
#: question, "I feel fine" or the weeks): a "no symptoms" message with one of them outside its
#: entities says something the bot did not place (nlp.intent_override step 4).
REPORT_WORDS_FILE = "report_words.json"
#: Where ClinicalFeaturizer leaves the extraction for ClinicalEntityExtractor (not in the output).
EXTRACTION_KEY = "clinical_extraction"


def extraction_of(message: Message) -> nlp.Extraction | None:
    """The message's clinical extraction, computed once per message; None if it failed."""
    cached = message.get(EXTRACTION_KEY)
    if cached is not None:
        return cached
    try:
        extraction = nlp.extract(message.get(TEXT) or "")
    except Exception:  # never lose the message: the classifier's answer still stands
        logger.exception("Clinical extraction failed; continuing without its findings")
        return None
    message.set(EXTRACTION_KEY, extraction)
    return extraction


# The feature columns: one per (symptom, how it is mentioned), then the other findings.
_CODES = sorted(SYMPTOMS)
_MENTIONS = ("present", "negated") + tuple(c for c in CONTEXTS if c != "current")
FEATURE_NAMES: List[str] = (
    [f"{code}:{how}" for how in _MENTIONS for code in _CODES]
    + [
        "any_symptom_present",
        "any_red_flag_present",
        "any_symptom_negated",
        "gestational_age",
        "risk_factor",
        "on_behalf",
    ]
    + [f"bleeding_amount:{amount}" for amount in BLEEDING_AMOUNTS]
)
_COLUMN = {name: i for i, name in enumerate(FEATURE_NAMES)}


def _nlp_fingerprint() -> str:
    """A hash of what the clinical features are made of: the columns, the NLP code and its
    phrase files. It is part of ClinicalFeaturizer's config, so Rasa's training cache (which
    keys a node by its class, config and inputs, never by its code) trains the classifier
    again when the findings change. Without it, a model trained after a new symptom code was
    added reused the classifier trained on the old, narrower rows, and every message's row no
    longer fitted it: every intent became "not understood"."""
    digest = hashlib.sha256("\n".join(FEATURE_NAMES).encode())
    here = Path(__file__).resolve().parent
    for path in sorted([*here.glob("*.py"), *here.glob("patterns/*.yml")]):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


NLP_FINGERPRINT = _nlp_fingerprint()


def narrative_words() -> FrozenSet[str]:
    """Words of time, place and story that report no problem on their own (the "no symptoms"
    check, nlp/patterns/report_words.yml); read at training only."""
    data = load_yaml(patterns_path("report_words.yml"))
    return frozenset(string_list(data.get("narrative_words") or [], "report_words.yml"))


def clinical_features(extraction: nlp.Extraction | None) -> np.ndarray:
    """The findings as a 0/1 row (all zero when the extraction failed)."""
    row = np.zeros(len(FEATURE_NAMES), dtype=np.float32)
    if extraction is None:
        return row

    def on(name: str) -> None:
        row[_COLUMN[name]] = 1.0

    for mention in extraction.symptoms:
        if mention.code not in SYMPTOMS:
            continue
        if mention.negated:
            on(f"{mention.code}:negated")
            on("any_symptom_negated")
        elif mention.context in ("current", "resolved"):
            # a resolved symptom (earlier today, stopped) is a finding too, in its own column
            on(f"{mention.code}:{'present' if mention.context == 'current' else 'resolved'}")
            on("any_symptom_present")
            if mention.code in RED_FLAGS:
                on("any_red_flag_present")
        else:
            on(f"{mention.code}:{mention.context}")
    if extraction.gestational_weeks is not None:
        on("gestational_age")
    if any(not r.negated for r in extraction.risk_factors):
        on("risk_factor")
    if extraction.on_behalf:
        on("on_behalf")
    if extraction.bleeding_amount in BLEEDING_AMOUNTS:
        on(f"bleeding_amount:{extraction.bleeding_amount}")
    return row


class SentenceRowFeaturizer(GraphComponent):
    """A featurizer that gives every message one dense sentence row, times ``weight``.

    Dense, so that the weight survives: the intent classifier scales sparse rows (n-gram counts)
    to unit length and leaves dense rows as their featurizer weighted them. Every message with
    text gets the row, a button payload ("/deny") too: the classifier needs the same columns
    for every message it sees. Subclasses say what the row is."""

    def __init__(self, name: str, weight: float = 1.0) -> None:
        self._name = name
        self._weight = weight

    def row(self, message: Message, text: str) -> np.ndarray:
        raise NotImplementedError

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        self.process(training_data.training_examples)
        return training_data

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            text = message.get(TEXT)
            if text is None:
                continue  # a training example without text (Rasa trains no intent on it)
            row = self.row(message, text) * self._weight
            message.add_features(
                Features(row.reshape(1, -1), FEATURE_TYPE_SENTENCE, TEXT, self._name)
            )
        return messages


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER], is_trainable=False)
class ClinicalFeaturizer(SentenceRowFeaturizer):
    """The clinical findings of a message as sentence features for the intent classifier."""

    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        return {"weight": 1.0, "nlp_fingerprint": NLP_FINGERPRINT}

    @classmethod
    def create(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> ClinicalFeaturizer:
        nlp.get_pipeline()  # build once at start-up
        return cls(execution_context.node_name, float(config.get("weight", 1.0)))

    def row(self, message: Message, text: str) -> np.ndarray:
        # A button payload gets an all-zero row.
        return clinical_features(None if text.startswith("/") else extraction_of(message))


def _sentence_width(message: Message) -> int:
    """How many columns the classifier's input row for this message has: the widths of its
    text sentence features, which ``_create_X`` stacks (counted here without stacking them)."""
    return sum(
        f.features.shape[1]
        for f in message.features
        if f.type == FEATURE_TYPE_SENTENCE and f.attribute == TEXT
    )


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True)
class LogisticRegressionIntentClassifier(LogisticRegressionClassifier):
    """Rasa's logistic-regression intent classifier, with its inputs scaled and one way of
    losing a message removed.

    - Each featurizer's sparse sentence row (word and character n-gram counts, word-list
      matches) is scaled to unit length before the rows are stacked, and the regularisation
      strength ``C`` is configurable (Rasa fixes it at 1.0). Raw counts let a long message and the
      ten thousand character n-grams outweigh everything else; scaled, each featurizer counts
      about as much as its weight says, and the dense rows (the sentence embedding and the
      clinical findings) keep the weights their featurizers gave them. Measured in
      docs/evaluation.md.
    - Rasa's version stacks every featurizer's sentence features and hands them to
      scikit-learn, which raises when a message has fewer columns than the model was trained
      on; an empty or blank message has no word n-grams at all, so the whole NLU step failed.
      Here such a message gets no intent (confidence 0), which the FallbackClassifier turns into
      ``nlu_fallback``: the "not understood" answer with the safety net.
    """

    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        return {
            **LogisticRegressionClassifier.get_default_config(),
            "C": 1.0,
            "normalize_sparse": True,
        }

    def __init__(
        self, config: Dict[str, Any], name: str, model_storage: ModelStorage, resource: Resource
    ) -> None:
        super().__init__(config, name, model_storage, resource)
        self.clf.set_params(C=float(self.config["C"]))
        self._warned = False

    def _create_X(self, messages: List[Message]) -> scipy.sparse.csr_matrix:
        rows = []
        for message in messages:
            blocks = []
            for f in message.features:
                if f.type != FEATURE_TYPE_SENTENCE or f.attribute != TEXT:
                    continue
                if f.is_sparse():
                    block = f.features.toarray().ravel()
                    norm = float(np.sqrt(block @ block))
                    if self.config["normalize_sparse"] and norm > 0:
                        block = block / norm
                else:
                    block = np.asarray(f.features).ravel()
                blocks.append(block)
            # One dense row (about 11,000 columns) made sparse once: cheaper than stacking
            # scipy matrices block by block, which cost 5% of the server's time per message.
            rows.append(
                scipy.sparse.csr_matrix(np.concatenate(blocks) if blocks else np.zeros((1, 0)))
            )
        return scipy.sparse.vstack(rows).tocsr()

    def process(self, messages: List[Message]) -> List[Message]:
        expected = getattr(self.clf, "n_features_in_", None)
        readable = []
        for message in messages:
            width = _sentence_width(message)
            if expected is None or width == expected:
                readable.append(message)
            else:
                if (message.get(TEXT) or "").strip() and not getattr(self, "_warned", False):
                    # (a blank message is narrower by design; a message with text is not)
                    self._warned = True
                    logger.error(
                        "intent classifier: a row of %d columns for a model trained on %d: the "
                        "model does not match the NLP code; retrain it (scripts/train.sh)",
                        width,
                        expected,
                    )
                message.set(INTENT, {"name": None, "confidence": 0.0}, add_to_output=True)
                message.set(INTENT_RANKING_KEY, [], add_to_output=True)
        if readable:
            super().process(readable)
        return messages


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR], is_trainable=True)
class ClinicalEntityExtractor(GraphComponent, EntityExtractorMixin):
    """Rule-based clinical entities (symptoms with negation/context, weeks, risk factors)."""

    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        # (the fingerprint: what it learns at training depends on the NLP code, see
        # ClinicalFeaturizer)
        return {"nlp_fingerprint": NLP_FINGERPRINT}

    def __init__(
        self,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        vocabulary: FrozenSet[str] = frozenset(),
        report_words: FrozenSet[str] = frozenset(),
    ) -> None:
        self._model_storage = model_storage
        self._resource = resource
        self._vocabulary = vocabulary
        self._report_words = report_words
        nlp.get_pipeline()  # build once at start-up, not on the first patient's message

    @classmethod
    def create(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> ClinicalEntityExtractor:
        return cls({**cls.get_default_config(), **config}, model_storage, resource)

    def train(self, training_data: TrainingData) -> Resource:
        """Learns only the words of the training examples (for the nonsense check), and the words
        used only in symptom reports (for the "no symptoms" check)."""
        examples = training_data.intent_examples

        def vocabulary_of(keep: Any) -> set[str]:
            return set().union(*(words(m.get(TEXT) or "") for m in examples if keep(m)))

        vocabulary = sorted(vocabulary_of(lambda m: True))
        reports = vocabulary_of(lambda m: m.get(INTENT) in SYMPTOM_REPORT_INTENTS)
        # (not a function word, "them", "than", "below", nor a word of the story around a
        # symptom, "stopped", "mins", "woke": nlp/patterns/report_words.yml)
        report_words = sorted(
            reports
            - vocabulary_of(lambda m: m.get(INTENT) not in SYMPTOM_REPORT_INTENTS)
            - STOP_WORDS
            - narrative_words()
        )
        with self._model_storage.write_to(self._resource) as directory:
            (directory / VOCABULARY_FILE).write_text(json.dumps(vocabulary), encoding="utf-8")
            (directory / REPORT_WORDS_FILE).write_text(json.dumps(report_words), encoding="utf-8")
        self._vocabulary = frozenset(vocabulary)
        self._report_words = frozenset(report_words)
        return self._resource

    @classmethod
    def load(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> ClinicalEntityExtractor:
        vocabulary: FrozenSet[str] = frozenset()
        report_words: FrozenSet[str] = frozenset()
        try:
            with model_storage.read_from(resource) as directory:
                vocabulary = frozenset(
                    json.loads((directory / VOCABULARY_FILE).read_text(encoding="utf-8"))
                )
                report_words = frozenset(
                    json.loads((directory / REPORT_WORDS_FILE).read_text(encoding="utf-8"))
                )
        except (ValueError, FileNotFoundError):
            logger.warning("No training vocabulary in the model; the nonsense check is off")
        return cls(
            {**cls.get_default_config(), **config},
            model_storage,
            resource,
            vocabulary,
            report_words,
        )

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            self._process_one(message)
        return messages

    def _process_one(self, message: Message) -> None:
        text = message.get(TEXT) or ""
        if text.startswith("/"):
            return  # a button payload: Rasa already parsed its intent and entities
        extraction = extraction_of(message)
        if extraction is None:
            return
        entities = nlp.to_rasa_entities(extraction)
        if more_than_a_complaint(
            message.get(TEXT) or "", entities, self._report_words, extraction.ignored_spans
        ):
            entities = [e for e in entities if e.get("value") != COMMON_COMPLAINT]
        message.set(ENTITIES, message.get(ENTITIES, []) + entities, add_to_output=True)
        override = self._intent_override(message, entities, extraction.ignored_spans)
        intent = dict(message.get(INTENT) or {})
        if override and override != intent.get("name"):
            chosen = {"name": override, "confidence": 1.0}
            message.set(
                INTENT,
                {**chosen, "overridden_by": self.name, "classifier_intent": intent.get("name")},
                add_to_output=True,
            )
            ranking = [
                r for r in message.get(INTENT_RANKING_KEY) or [] if r.get("name") != override
            ]
            message.set(INTENT_RANKING_KEY, [chosen] + ranking, add_to_output=True)

    def _intent_override(
        self,
        message: Message,
        entities: List[Dict[str, Any]],
        placed: Tuple[Tuple[int, int], ...] = (),
    ) -> str | None:
        """See :func:`nlp.intent_override.intent_override`."""
        return intent_override(
            message.get(TEXT) or "",
            message.get(INTENT),
            entities,
            self._vocabulary,
            self._report_words,
            placed,
        )
