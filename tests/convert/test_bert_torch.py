"""A BERT-style TF1 checkpoint converted with the hf-bert-tf1 preset loads into the
matching PyTorch module with strict=True and computes what stowflow's graph computes."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import numpy as np

import stowflow as tf
from stowflow import checkpoint
from stowflow.convert import NameOptions, convert
from stowflow.graph.builder import apply_op

# The torch side: modules named like transformers' BertModel pieces.
_TORCH_SCRIPT = """
import json, sys, torch
from torch import nn

class Embeddings(nn.Module):
    def __init__(self):
        super().__init__()
        self.word_embeddings = nn.Embedding(10, 4)
        self.LayerNorm = nn.LayerNorm(4, eps=1e-12)

class Pooler(nn.Module):
    def __init__(self):
        super().__init__()
        self.dense = nn.Linear(4, 3)

class Bert(nn.Module):
    def __init__(self):
        super().__init__()
        self.embeddings = Embeddings()
        self.pooler = Pooler()

class Model(nn.Module):
    def __init__(self):
        super().__init__()
        self.bert = Bert()

model = Model()
model.load_state_dict(torch.load(sys.argv[1], weights_only=True), strict=True)
ids = torch.tensor(json.loads(sys.argv[2]))
with torch.no_grad():
    e = model.bert.embeddings.word_embeddings(ids)
    scaled = e * model.bert.embeddings.LayerNorm.weight + model.bert.embeddings.LayerNorm.bias
    out = torch.tanh(model.bert.pooler.dense(scaled))
print(json.dumps(out.tolist()))
"""


def _weights() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(11)
    return {
        "bert/embeddings/word_embeddings": rng.standard_normal((10, 4)).astype(np.float32),
        "bert/embeddings/LayerNorm/gamma": rng.uniform(0.5, 1.5, 4).astype(np.float32),
        "bert/embeddings/LayerNorm/beta": rng.standard_normal(4).astype(np.float32),
        "bert/pooler/dense/kernel": rng.standard_normal((4, 3)).astype(np.float32),
        "bert/pooler/dense/bias": rng.standard_normal(3).astype(np.float32),
        "bert/pooler/dense/kernel/adam_m": np.zeros((4, 3), np.float32),
        "global_step": np.array(1000, np.int64),
    }


def _stowflow_run(w: dict[str, np.ndarray], ids: list[int]) -> np.ndarray:
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.int32, [None], name="ids")

        def op(op_type: str, inputs: dict[str, object]) -> object:
            return apply_op(op_type, inputs)[0]

        e = op("GatherV2", {"params": tf.constant(w["bert/embeddings/word_embeddings"]),
                            "indices": x, "axis": tf.constant(0)})  # fmt: skip
        e = op("Mul", {"x": e, "y": tf.constant(w["bert/embeddings/LayerNorm/gamma"])})
        e = op("AddV2", {"x": e, "y": tf.constant(w["bert/embeddings/LayerNorm/beta"])})
        h = op("MatMul", {"a": e, "b": tf.constant(w["bert/pooler/dense/kernel"])})
        h = op("BiasAdd", {"value": h, "bias": tf.constant(w["bert/pooler/dense/bias"])})
        y = op("Tanh", {"x": h})
        with tf.Session(graph=g) as sess:
            return np.asarray(sess.run(y, {x: np.array(ids, np.int32)}))


def test_bert_checkpoint_loads_strictly_and_matches(tmp_path: Path, torch_python: str) -> None:
    weights = _weights()
    prefix = str(tmp_path / "bert" / "bert_model.ckpt")
    checkpoint.save(prefix, weights)
    out = tmp_path / "pytorch_model.pt"
    convert(prefix, str(out), options=NameOptions(preset="hf-bert-tf1"))
    ids = [3, 0, 9, 3]
    done = subprocess.run(
        [torch_python, "-c", _TORCH_SCRIPT, str(out), json.dumps(ids)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    got = np.array(json.loads(done.stdout), np.float32)
    np.testing.assert_allclose(got, _stowflow_run(weights, ids), rtol=1e-5, atol=1e-6)
