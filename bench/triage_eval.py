"""How well the category-suggestion model does on messages it never saw, and how fast.

    .venv/bin/python bench/triage_eval.py

Trains ``yimen.triage.model.train`` on complaints-zh's train.csv (1,842 residents' messages
to government, 7 categories; see its README), timing the training, then scores test.csv
(921 messages), which nothing was tuned on: macro-F1 (the mean of the per-category F1,
so small categories count as much as large ones), accuracy, per-category precision /
recall / F1 and the confusion matrix. Latency is one ``suggest`` call per test message,
as the intake form makes them, averaged over all of them after one warm-up call.

The data is read from ``--data`` (default ``../shared/data/complaints-zh`` beside the
repository) and never copied into it. The last line is
``macro_f1=N accuracy=N train_s=N ms_per_message=N``.
"""

import argparse
import csv
import sys
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

from yimen.triage.model import train  # noqa: E402

DEFAULT_DATA = BASE_DIR.parent / "shared" / "data" / "complaints-zh"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--data", type=Path, default=DEFAULT_DATA, help="folder with train.csv and test.csv"
    )
    return parser.parse_args()


def read(path: Path) -> tuple[list[str], list[str]]:
    """``label,text`` rows; a first row ``label,text`` is the header."""
    texts, labels = [], []
    with open(path, encoding="utf-8", newline="") as f:
        for i, row in enumerate(csv.reader(f)):
            if i == 0 and row == ["label", "text"]:
                continue
            if len(row) != 2:
                sys.exit(f"{path}, row {i + 1}: expected label,text, got {len(row)} fields")
            labels.append(row[0])
            texts.append(row[1])
    return texts, labels


def display(label: str, width: int) -> str:
    """The label padded to ``width`` screen columns (CJK characters take two)."""
    return label + " " * max(width - 2 * len(label), 1)


def report(truth: list[str], predicted: list[str]) -> tuple[float, float]:
    """Print per-category figures and the confusion matrix; return macro-F1 and accuracy."""
    from sklearn.metrics import accuracy_score, confusion_matrix, f1_score
    from sklearn.metrics import precision_recall_fscore_support as prfs

    labels = sorted(set(truth))
    width = 2 * max(len(label) for label in labels) + 2
    precision, recall, f1, support = prfs(truth, predicted, labels=labels, zero_division=0)
    print(f"\n{'category':<{width}}precision  recall     f1  support")
    for row in zip(labels, precision, recall, f1, support, strict=True):
        print(f"{display(row[0], width)}{row[1]:9.3f}  {row[2]:6.3f}  {row[3]:5.3f}  {row[4]:7d}")

    print("\nconfusion matrix (rows: true category, columns: predicted, same order):")
    matrix = confusion_matrix(truth, predicted, labels=labels)
    print(" " * (width + 3) + "".join(f"{i:>5}" for i in range(len(labels))))
    for i, (label, row) in enumerate(zip(labels, matrix, strict=True)):
        print(f"{i:>2} " + display(label, width) + "".join(f"{n:>5}" for n in row))
    macro_f1 = f1_score(truth, predicted, labels=labels, average="macro", zero_division=0)
    return float(macro_f1), float(accuracy_score(truth, predicted))


def main() -> None:
    args = parse_args()
    data = args.data.resolve()
    missing = [name for name in ("train.csv", "test.csv") if not (data / name).is_file()]
    if missing:
        sys.exit(
            f"triage_eval: {', '.join(missing)} not found in {data}\n"
            "Point --data at the complaints-zh folder (train.csv and test.csv)."
        )
    train_texts, train_labels = read(data / "train.csv")
    test_texts, test_labels = read(data / "test.csv")
    print(f"data: {data}")
    print(f"train: {len(train_texts)} messages, test: {len(test_texts)} messages, "
          f"{len(set(train_labels))} categories")  # fmt: skip

    began = time.perf_counter()
    model = train(train_texts, train_labels)
    train_s = time.perf_counter() - began
    print(f"trained in {train_s:.1f} s: {model!r}")

    model.suggest(test_texts[0])  # warm-up: jieba's dictionary is loaded by then anyway
    predicted, took = [], []
    for text in test_texts:
        began = time.perf_counter()
        predicted.append(model.suggest(text, k=3)[0][0])
        took.append(time.perf_counter() - began)
    ms_per_message = 1000 * sum(took) / len(took)
    slowest = 1000 * max(took)

    top3 = sum(
        label in [lab for lab, _p in ranked]
        for label, ranked in zip(test_labels, model.suggest_many(test_texts, k=3), strict=True)
    ) / len(test_labels)

    macro_f1, accuracy = report(test_labels, predicted)
    print(f"\nmacro-F1 {macro_f1:.3f}, accuracy {accuracy:.3f}, right category among the "
          f"three suggested {top3:.3f}")  # fmt: skip
    print(f"training {train_s:.1f} s; suggest {ms_per_message:.2f} ms per message on average, "
          f"slowest {slowest:.1f} ms")  # fmt: skip
    print("reproduce: .venv/bin/python bench/triage_eval.py"
          + (f" --data {args.data}" if data != DEFAULT_DATA.resolve() else ""))  # fmt: skip
    print(f"macro_f1={macro_f1:.3f} accuracy={accuracy:.3f} train_s={train_s:.1f} "
          f"ms_per_message={ms_per_message:.1f}")  # fmt: skip


if __name__ == "__main__":
    main()
