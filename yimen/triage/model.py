"""The category-suggestion model: which of the center's categories a resident's message is.

Pure Python on scikit-learn and jieba, without Django, so that it can be trained and
measured on its own (``bench/triage_eval.py``) and loaded by the web processes.

Why this shape: on the public complaints-zh data (7 categories of residents' messages to
government; every figure in bench/README.md, "Triage") one linear SVM on TF-IDF character
and word n-grams stops at 0.89–0.90 macro-F1 in cross-validation on the training file,
whatever the n-gram range, weighting or classifier. Stacking three views of the text,
each wrong on different messages, gets 0.909 (and 0.924 on the held-out test file):

* a linear SVM on character 1–2-grams plus jieba's search-mode words;
* the same features scaled by each term's log-count ratio between a category and the
  rest (NB-SVM, Wang & Manning 2012), one binary SVM per category;
* a linear SVM on character 1–3-grams (the usual baseline, with other mistakes);

and a logistic regression over their out-of-fold margins, which also gives the
probabilities shown to the clerk ("top 3 with confidence"). Longer n-grams, a separate
weight for the title, naive Bayes as a fourth part and removing the anonymisation codes
did not help.

CPU only: about 15 s to train on 1,842 messages on two cores, about 5 ms a message.
jieba reads the dictionary it ships with; nothing is downloaded.
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
import pickle  # noqa: S403 - only our own model files, checked by a digest (see load)
import platform
import threading
import unicodedata
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

MAX_CHARS = 2000  # a message's opening says what it is about; the rest only costs time
MIN_SAMPLES = 10  # fewer messages than this teach nothing
MIN_PER_CLASS = 3  # each category needs a few examples for the inner cross-validation
FORMAT = 1  # bumped when the saved layout changes
_MAGIC = b"YIMEN-TRIAGE\n"
_INNER_FOLDS = 5
_SEED = 0

__all__ = [
    "MAX_CHARS",
    "MIN_PER_CLASS",
    "MIN_SAMPLES",
    "ModelError",
    "TriageModel",
    "load",
    "train",
]


class ModelError(Exception):
    """The model cannot be trained or loaded; the message says why, for the triage page."""


# --- text --------------------------------------------------------------------------------

_tokenizer: Any = None
_tokenizer_lock = threading.Lock()


def _jieba() -> Any:
    """A jieba tokenizer of our own, on jieba's shipped dictionary, built once per process.

    Our own instance so that words another part of the project adds to jieba's global
    dictionary (for search) cannot change what a trained model sees.
    """
    global _tokenizer
    if _tokenizer is None:
        with _tokenizer_lock:
            if _tokenizer is None:
                import jieba

                jieba.setLogLevel(logging.WARNING)
                tokenizer = jieba.Tokenizer()  # jieba's own dict.txt: read, never fetched
                tokenizer.initialize()
                _tokenizer = tokenizer
    return _tokenizer


def _prepare(text: Any) -> str:
    """Same normalisation for training and suggesting: NFKC (full-width letters and digits
    become ASCII), lower case, and only the first MAX_CHARS characters."""
    if not isinstance(text, str):
        text = "" if text is None else str(text)
    return unicodedata.normalize("NFKC", text[: MAX_CHARS * 2])[:MAX_CHARS].lower()


def _words(text: str) -> list[str]:
    """jieba's search mode: the words and the shorter words inside the long ones."""
    return [w for w in _jieba().cut_for_search(text) if w.strip()]


# --- features ----------------------------------------------------------------------------


def _idf(counts: sp.csr_matrix) -> np.ndarray:
    """scikit-learn's smoothed idf: ln((1 + n) / (1 + df)) + 1."""
    df = np.bincount(counts.indices, minlength=counts.shape[1])
    return (np.log((1 + counts.shape[0]) / (1 + df)) + 1).astype(np.float32)


def _tfidf(counts: sp.csr_matrix, idf: np.ndarray, sublinear: bool) -> sp.csr_matrix:
    """TF-IDF rows of unit length, as TfidfVectorizer computes them."""
    from sklearn.preprocessing import normalize

    X = sp.csr_matrix(counts, dtype=np.float32, copy=True)
    if sublinear:
        np.log(X.data, out=X.data)
        X.data += 1
    X = sp.csr_matrix(X.multiply(idf[np.newaxis, :]))
    return normalize(X, copy=False)


class _Features:
    """The four views of a text, from two passes over it (characters, then jieba's words).

    Character 1–3-grams are counted once; the 1–2-grams are the same columns taken out
    (their document frequencies, hence their cut-offs, are the same in either count).
    """

    VIEWS = ("char12", "char12_sub", "char13", "words")

    def fit_transform(self, texts: Sequence[str]) -> dict[str, sp.csr_matrix]:
        from sklearn.feature_extraction.text import CountVectorizer

        small = len(texts) < 50  # tiny sets keep every term: nothing repeats enough
        cut = {"min_df": 1 if small else 2, "max_df": 1.0 if small else 0.5}
        self.chars = CountVectorizer(analyzer="char", ngram_range=(1, 3), lowercase=False, **cut)
        self.words = CountVectorizer(analyzer=_words, **cut)
        chars = self.chars.fit_transform(texts).tocsr()
        words = self.words.fit_transform(texts).tocsr()
        terms = self.chars.get_feature_names_out()
        self.short = np.flatnonzero(np.char.str_len(terms.astype(str)) <= 2)
        self.idf = {
            "char12": _idf(chars[:, self.short]),
            "char13": _idf(chars),
            "words": _idf(words),
        }
        for vectorizer in (self.chars, self.words):
            vectorizer.stop_words_ = None  # the pruned terms: only weight in the file
        return self._views(chars, words)

    def transform(self, texts: Sequence[str]) -> dict[str, sp.csr_matrix]:
        return self._views(self.chars.transform(texts).tocsr(), self.words.transform(texts).tocsr())

    def _views(self, chars: sp.csr_matrix, words: sp.csr_matrix) -> dict[str, sp.csr_matrix]:
        short = chars[:, self.short]
        return {
            "char12": _tfidf(short, self.idf["char12"], sublinear=False),
            "char12_sub": _tfidf(short, self.idf["char12"], sublinear=True),
            "char13": _tfidf(chars, self.idf["char13"], sublinear=False),
            "words": _tfidf(words, self.idf["words"], sublinear=True),
        }


# --- the parts ---------------------------------------------------------------------------


class _NBSVM:
    """One binary linear SVM per category on features scaled by their log-count ratio."""

    def __init__(self, alpha: float = 1.0, C: float = 1.0) -> None:
        self.alpha, self.C = alpha, C

    def fit(self, X: sp.csr_matrix, y: np.ndarray) -> _NBSVM:
        from sklearn.svm import LinearSVC

        present = (X > 0).astype(np.float64)
        self.classes_ = np.unique(y)
        coefs, intercepts = [], []
        for label in self.classes_:
            p = self.alpha + np.asarray(present[y == label].sum(0)).ravel()
            q = self.alpha + np.asarray(present[y != label].sum(0)).ravel()
            ratio = np.log((p / p.sum()) / (q / q.sum()))
            svm = LinearSVC(C=self.C, class_weight="balanced", random_state=_SEED)
            svm.fit(sp.csr_matrix(X.multiply(ratio[np.newaxis, :])), (y == label).astype(int))
            coefs.append(svm.coef_[0] * ratio)  # (x * r) . w == x . (r * w)
            intercepts.append(svm.intercept_[0])
        self.coef_, self.intercept_ = np.vstack(coefs), np.asarray(intercepts)
        return self

    def decision_function(self, X: sp.csr_matrix) -> np.ndarray:
        return np.asarray(X @ self.coef_.T) + self.intercept_


def _bases() -> list[tuple[str, tuple[str, ...], Any]]:
    """(name, the views it reads, a factory for the estimator)."""
    from sklearn.svm import LinearSVC

    def svm() -> Any:
        return LinearSVC(class_weight="balanced", random_state=_SEED)

    return [
        ("svm", ("char12", "words"), svm),
        ("nbsvm", ("char12_sub", "words"), _NBSVM),
        ("svm_char13", ("char13",), svm),
    ]


def _scores(estimator: Any, X: sp.csr_matrix) -> np.ndarray:
    """What the stacker reads from a part: its margins, one column per category (a
    two-category SVM gives one margin, kept as one column)."""
    scores = estimator.decision_function(X)
    return scores.reshape(len(scores), -1)


class _Head:
    """A fitted part reduced to its weights: margins = sum over its views of X_v @ W_v + b.
    Suggesting then costs a few sparse products instead of a dozen scikit-learn calls,
    each with its own input checks (15 ms a message down to 4)."""

    def __init__(self, estimator: Any, views: tuple[str, ...], widths: dict[str, int]) -> None:
        coef = estimator.coef_
        self.weights: dict[str, np.ndarray] = {}
        start = 0
        for view in views:
            block = coef[:, start : start + widths[view]]
            self.weights[view] = np.ascontiguousarray(block.T, dtype=np.float32)
            start += widths[view]
        self.intercept = np.asarray(estimator.intercept_, dtype=np.float64)

    def scores(self, views: dict[str, sp.csr_matrix]) -> np.ndarray:
        out = sum(np.asarray(views[v] @ w, dtype=np.float64) for v, w in self.weights.items())
        return out + self.intercept


def _softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    np.exp(z, out=z)
    return z / z.sum(axis=1, keepdims=True)


# --- the model ---------------------------------------------------------------------------


class TriageModel:
    """A trained model: suggest categories for a message, save it, and say what it is.

    ``meta`` holds what it was trained on: labels, trained_at (UTC), n_samples, per_label
    counts, max_chars and the library versions.
    """

    def __init__(
        self, features: _Features, heads: list[_Head], stacker: Any, meta: dict[str, Any]
    ) -> None:
        self._features = features
        self._heads = heads
        self._coef = np.asarray(stacker.coef_, dtype=np.float64)
        self._intercept = np.asarray(stacker.intercept_, dtype=np.float64)
        self.meta = meta

    @property
    def labels(self) -> list[str]:
        return list(self.meta["labels"])

    def probabilities(self, texts: Sequence[Any]) -> np.ndarray:
        """One row per text, one column per label (``labels`` order), each row summing to 1."""
        if not texts:
            return np.zeros((0, len(self.meta["labels"])))
        views = self._features.transform([_prepare(t) for t in texts])
        z = np.hstack([head.scores(views) for head in self._heads]) @ self._coef.T
        z += self._intercept
        if z.shape[1] == 1:  # two labels: logistic regression keeps one logit
            z = np.hstack([-z, z]) / 2  # softmax of (-z/2, z/2) is (1 - sigmoid, sigmoid)
        return _softmax(z)

    def suggest_many(self, texts: Sequence[Any], k: int = 3) -> list[list[tuple[str, float]]]:
        """``suggest`` for many texts at once (one pass through each part: faster)."""
        labels = self.meta["labels"]
        out = []
        for row in self.probabilities(texts):
            order = np.argsort(-row, kind="stable")[: max(k, 0)]
            out.append([(labels[i], float(row[i])) for i in order])
        return out

    def suggest(self, text: Any, k: int = 3) -> list[tuple[str, float]]:
        """The k most likely labels with their probabilities, best first.

        Any text gets an answer: empty, one character, English, or very long (only the
        first MAX_CHARS characters are read). With nothing recognisable in it the answer
        leans to the categories most common in the training data.
        """
        return self.suggest_many([text], k)[0]

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the model to ``path``, replaced whole: a reader never sees half a file."""
        payload = pickle.dumps(self, protocol=pickle.HIGHEST_PROTOCOL)
        target = Path(path)
        partial = target.with_name(target.name + ".writing")
        try:
            with open(partial, "wb") as out:
                out.write(_MAGIC + hashlib.sha256(payload).digest() + payload)
                out.flush()
                os.fsync(out.fileno())
            os.replace(partial, target)
        finally:
            partial.unlink(missing_ok=True)

    def __repr__(self) -> str:
        m = self.meta
        return f"<TriageModel {len(m['labels'])} labels, {m['n_samples']} samples>"


def _versions() -> dict[str, str]:
    import jieba
    import scipy
    import sklearn

    return {
        "python": platform.python_version(),
        "scikit-learn": sklearn.__version__,
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "jieba": jieba.__version__,
    }


def train(texts: list[str], labels: list[str]) -> TriageModel:
    """Fit the model on messages and their categories.

    Raises ModelError, with a message for the person who asked, when there is too little
    to learn from: fewer than two categories, fewer than MIN_SAMPLES messages, or a
    category with fewer than MIN_PER_CLASS of them.
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold

    if len(texts) != len(labels):
        raise ModelError(f"{len(texts)} texts but {len(labels)} labels")
    labels = [str(label) for label in labels]
    counts = Counter(labels)
    if len(counts) < 2:
        raise ModelError(f"at least 2 categories are needed to learn from, got {len(counts)}")
    if len(texts) < MIN_SAMPLES:
        raise ModelError(f"at least {MIN_SAMPLES} messages are needed, got {len(texts)}")
    rare = sorted(label for label, n in counts.items() if n < MIN_PER_CLASS)
    if rare:
        raise ModelError(
            f"each category needs at least {MIN_PER_CLASS} messages; too few for: "
            + ", ".join(f"{label} ({counts[label]})" for label in rare)
        )

    prepared = [_prepare(t) for t in texts]
    y = np.asarray(labels)
    features = _Features()
    try:
        views = features.fit_transform(prepared)
    except ValueError as exc:  # e.g. every message empty or only punctuation
        raise ModelError(f"no usable words in the messages ({exc})") from exc
    widths = {name: matrix.shape[1] for name, matrix in views.items()}

    # The stacker learns from the scores each part gives messages it was not trained on.
    folds = StratifiedKFold(min(_INNER_FOLDS, min(counts.values())), shuffle=True,
                            random_state=_SEED)  # fmt: skip
    splits = list(folds.split(np.zeros(len(y)), y))
    heads, columns = [], []
    for _name, view_names, make in _bases():
        X = sp.hstack([views[v] for v in view_names]).tocsr()
        out_of_fold: np.ndarray | None = None
        for inside, outside in splits:
            scores = _scores(make().fit(X[inside], y[inside]), X[outside])
            if out_of_fold is None:
                out_of_fold = np.zeros((len(y), scores.shape[1]))
            out_of_fold[outside] = scores
        heads.append(_Head(make().fit(X, y), view_names, widths))
        columns.append(out_of_fold)
    stacker = LogisticRegression(C=1.0, max_iter=5000)
    stacker.fit(np.hstack(columns), y)

    meta = {
        "format": FORMAT,
        "labels": [str(label) for label in stacker.classes_],
        "trained_at": datetime.now(UTC),
        "n_samples": len(texts),
        "per_label": dict(sorted(counts.items())),
        "max_chars": MAX_CHARS,
        "versions": _versions(),
    }
    return TriageModel(features, heads, stacker, meta)


def load(path: str | os.PathLike[str]) -> TriageModel:
    """Read a model written by ``TriageModel.save``.

    Raises ModelError when the file is missing, unreadable, truncated, not a model file,
    or from another scikit-learn version (whose pickles are not guaranteed to work: train
    again). The digest catches damage before anything is unpickled; it does not make a
    file from elsewhere safe to load, so model files are only ever the ones we wrote.
    """
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError as exc:
        raise ModelError(f"no model file at {path}") from exc
    except OSError as exc:
        raise ModelError(f"cannot read the model file {path}: {exc.strerror or exc}") from exc
    head = len(_MAGIC) + 32
    if len(data) < head or not data.startswith(_MAGIC):
        raise ModelError(f"{path} is not a triage model file")
    digest, payload = data[len(_MAGIC) : head], data[head:]
    if hashlib.sha256(payload).digest() != digest:
        raise ModelError(f"{path} is damaged or incomplete (checksum mismatch)")
    try:
        model = pickle.load(io.BytesIO(payload))  # noqa: S301 - our own file, digest checked
    except Exception as exc:  # a pickle can fail in many ways; all mean "cannot use it"
        raise ModelError(f"{path} cannot be loaded: {type(exc).__name__}: {exc}") from exc
    if not isinstance(model, TriageModel):
        raise ModelError(f"{path} does not hold a triage model")
    if model.meta.get("format") != FORMAT:
        raise ModelError(f"{path} is in an older model format: train again")
    import sklearn

    saved = model.meta.get("versions", {}).get("scikit-learn")
    if saved != sklearn.__version__:
        raise ModelError(
            f"{path} was trained with scikit-learn {saved}, this is {sklearn.__version__}: "
            "train again"
        )
    return model
