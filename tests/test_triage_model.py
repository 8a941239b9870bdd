"""The category-suggestion model on its own: small made-up messages, no database.

The last test trains on part of the shared complaints-zh train.csv when it is there (see
bench/triage_eval.py for the real measurement, which alone reads test.csv).
"""

import csv
import random
from pathlib import Path

import pytest

from yimen.triage.model import MAX_CHARS, MIN_PER_CLASS, ModelError, TriageModel, load, train

DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "complaints-zh"

PLACES = ["A市", "B3区", "幸福小区", "东风路", "城南街道", "新华村", "C2县", "滨江花园"]
TOPICS = {
    "环境保护": ["工厂污水直排河里", "餐馆油烟扰民", "夜间施工噪音太大", "垃圾焚烧气味刺鼻",
                 "河道发黑发臭", "企业偷排废气"],
    "教育文体": ["学校违规补课收费", "孩子上学学位紧张", "老师体罚学生", "幼儿园收费太高",
                 "学生转学手续难办", "学校食堂卫生差"],
    "交通运输": ["公交车司机态度差", "路口红绿灯坏了", "出租车拒载绕路", "道路坑洼不平影响行车",
                 "公交线路停运", "违章停车堵塞道路"],
}  # fmt: skip
ENDINGS = ["，请有关部门尽快处理。", "，希望领导重视。", "，居民意见很大。", "，请求解决！"]


def messages(seed: int = 0, per_topic: int = 12) -> tuple[list[str], list[str]]:
    rng = random.Random(seed)
    texts, labels = [], []
    for label, phrases in TOPICS.items():
        for _ in range(per_topic):
            texts.append(rng.choice(PLACES) + rng.choice(phrases) + rng.choice(ENDINGS))
            labels.append(label)
    return texts, labels


@pytest.fixture(scope="module")
def model() -> TriageModel:
    return train(*messages())


def test_suggests_the_right_category_first(model):
    cases = {
        "环境保护": "我家楼下的工厂每天晚上偷排废气，污水也直排河里",
        "教育文体": "学校暑假违规补课还要收费，老师说不去就跟不上",
        "交通运输": "这个路口的红绿灯坏了三天，公交车和出租车都乱开",
    }
    for label, text in cases.items():
        ranked = model.suggest(text)
        assert ranked[0][0] == label, (text, ranked)
        assert ranked[0][1] > 0.5


def test_probabilities_are_sorted_and_sum_to_at_most_one(model):
    ranked = model.suggest("小区旁边的河道发黑发臭", k=3)
    assert len(ranked) == 3
    probabilities = [p for _label, p in ranked]
    assert probabilities == sorted(probabilities, reverse=True)
    assert all(0.0 <= p <= 1.0 for p in probabilities)
    assert sum(probabilities) <= 1.0 + 1e-9
    everything = model.suggest("小区旁边的河道发黑发臭", k=10)
    assert {label for label, _p in everything} == set(TOPICS)
    assert sum(p for _label, p in everything) == pytest.approx(1.0)
    assert len(model.suggest("河道", k=1)) == 1
    assert model.suggest("河道", k=0) == []


@pytest.mark.parametrize(
    "text",
    ["", " ", "a", "。", "x" * 20_000, "学" * 20_000, "The bus driver was rude to me",
     "Wi-Fi 在 B3区 图书馆 doesn't work 😀", "\x00\ufeff\u200b", None],
)  # fmt: skip
def test_any_input_gets_a_list(model, text):
    ranked = model.suggest(text)
    assert isinstance(ranked, list) and len(ranked) == 3
    assert all(label in TOPICS and isinstance(p, float) for label, p in ranked)


def test_long_text_is_read_up_to_max_chars(model):
    head = "工厂污水直排河里" * (MAX_CHARS // 8)
    assert model.suggest(head)[0] == model.suggest(head + "学校补课" * 5_000)[0]


def test_batch_matches_single(model):
    texts = ["公交车司机态度差", "学校违规补课", ""]
    batch = model.suggest_many(texts, k=2)
    for text, ranked in zip(texts, batch, strict=True):
        assert [label for label, _p in ranked] == [label for label, _p in model.suggest(text, 2)]
    assert model.suggest_many([]) == []


def test_metadata(model):
    meta = model.meta
    assert meta["labels"] == sorted(TOPICS) == model.labels
    assert meta["n_samples"] == 36
    assert meta["trained_at"].tzinfo is not None
    assert {"scikit-learn", "jieba", "numpy", "python"} <= set(meta["versions"])


def test_save_and_load_give_the_same_answers(model, tmp_path):
    path = tmp_path / "triage.model"
    model.save(path)
    again = load(path)
    assert again.meta == model.meta
    text = "路口红绿灯坏了"
    assert again.suggest(text) == model.suggest(text)
    assert [p.name for p in tmp_path.iterdir()] == ["triage.model"]  # no partial left


def test_missing_or_damaged_files_raise_model_error(model, tmp_path):
    with pytest.raises(ModelError, match="no model file"):
        load(tmp_path / "missing.model")
    with pytest.raises(ModelError):
        load(tmp_path)  # a folder

    good = tmp_path / "good.model"
    model.save(good)
    data = good.read_bytes()
    damaged = {
        "empty": b"",
        "truncated": data[: len(data) // 2],
        "one byte short": data[:-1],
        "random": random.Random(1).randbytes(4096),
        "flipped": data[:-100] + bytes([data[-100] ^ 0xFF]) + data[-99:],
        "plain pickle": __import__("pickle").dumps({"labels": ["a"]}),
    }
    for name, content in damaged.items():
        path = tmp_path / f"{name}.model"
        path.write_bytes(content)
        with pytest.raises(ModelError):
            load(path)


def test_a_model_from_another_scikit_learn_is_refused(model, tmp_path, monkeypatch):
    import sklearn

    path = tmp_path / "triage.model"
    model.save(path)
    monkeypatch.setattr(sklearn, "__version__", "0.0.1")
    with pytest.raises(ModelError, match="train again"):
        load(path)


def test_too_little_to_learn_from_raises_model_error():
    texts, labels = messages()
    with pytest.raises(ModelError, match="2 categories"):
        train(texts[:12], labels[:12])
    with pytest.raises(ModelError, match="at least"):
        train(texts[:3] + texts[12:15], labels[:3] + labels[12:15])
    few = MIN_PER_CLASS - 1
    with pytest.raises(ModelError, match="交通运输"):
        train(texts[:24] + texts[24 : 24 + few], labels[:24] + labels[24 : 24 + few])
    with pytest.raises(ModelError, match="labels"):
        train(texts, labels[:-1])
    with pytest.raises(ModelError, match="no usable words"):
        train(["", " "] * 10, ["a", "b"] * 10)


def test_two_categories_work():
    texts, labels = messages(per_topic=6)
    model = train(texts[:12], labels[:12])
    ranked = model.suggest("学校补课", k=5)
    assert [label for label, _p in ranked][0] == "教育文体" and len(ranked) == 2
    assert sum(p for _l, p in ranked) == pytest.approx(1.0)


def read(path: Path) -> tuple[list[str], list[str]]:
    with open(path, encoding="utf-8", newline="") as f:
        rows = [row for row in csv.reader(f) if row != ["label", "text"]]
    return [text for _label, text in rows], [label for label, _text in rows]


@pytest.mark.skipif(not (DATA / "train.csv").is_file(), reason="shared complaints-zh missing")
def test_real_messages_sanity():
    """Trained on 700 of train.csv's messages, right on most of 300 others (also train.csv):
    a sanity check, not the measurement (that is bench/triage_eval.py, on test.csv)."""
    texts, labels = read(DATA / "train.csv")
    order = list(range(len(texts)))
    random.Random(0).shuffle(order)
    fit, held = order[:700], order[700:1000]
    model = train([texts[i] for i in fit], [labels[i] for i in fit])
    ranked = model.suggest_many([texts[i] for i in held], k=3)
    first = sum(r[0][0] == labels[i] for i, r in zip(held, ranked, strict=True)) / len(held)
    top3 = sum(labels[i] in dict(r) for i, r in zip(held, ranked, strict=True)) / len(held)
    assert first > 0.75, first
    assert top3 > 0.9, top3
