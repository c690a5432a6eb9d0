"""Dump a TensorFlow run of a SavedModel signature in stowflow's debug-dump format.

NEEDS TENSORFLOW. Run it with the oracle interpreter, with the same flags as
``stowflow run --tf_debug_dump_dir``, then compare the two dumps::

    ~/.cache/stowflow/tf-2.21.0/bin/python tests/debug/tf_dump_run.py \\
        --dir MODEL --tag_set serve --signature_def serving_default \\
        --inputs 'x=/tmp/x.npy' --out /tmp/dump_tf
    stowflow run --dir MODEL --tag_set serve --signature_def serving_default \\
        --inputs 'x=/tmp/x.npy' --tf_debug_dump_dir /tmp/dump_sf
    stowflow debug-diff /tmp/dump_sf /tmp/dump_tf

It loads the MetaGraph with ``tf.compat.v1`` (variables restored as TF does), finds every
node the signature's outputs need given the fed inputs, fetches all their outputs in one
``Session.run`` and writes them with stowflow's own dump writer (stowflow imports cleanly
next to TensorFlow). Resource/variant handles are listed without values, as stowflow does.
Order is a dependency order (TF's real schedule is not observable from Python).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import tensorflow as tf

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from stowflow.debug.dump import write_dump  # noqa: E402
from stowflow.debug.records import TensorRecord, compute_stats  # noqa: E402

_HANDLES = (tf.resource, tf.variant)


def needed_ops(fetches: list[tf.Tensor], fed: set[str]) -> list[tf.Operation]:
    """Ops the fetches depend on (data and control edges), not looking past fed tensors."""
    order: list[tf.Operation] = []
    state: dict[str, int] = {}
    for root in [t.op for t in fetches]:
        stack = [(root, False)]
        while stack:
            op, expanded = stack.pop()
            if expanded:
                order.append(op)
                continue
            if state.get(op.name):
                continue
            state[op.name] = 1
            stack.append((op, True))
            deps = list(op.control_inputs) + [t.op for t in op.inputs if t.name not in fed]
            stack += [(d, False) for d in reversed(deps) if not state.get(d.name)]
    return order


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", required=True)
    parser.add_argument("--tag_set", required=True)
    parser.add_argument("--signature_def", required=True)
    parser.add_argument("--inputs", required=True, help="'key=file.npy;key2=file2.npy'")
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    tf.compat.v1.disable_eager_execution()
    graph = tf.Graph()
    with graph.as_default(), tf.compat.v1.Session(graph=graph) as sess:
        meta = tf.compat.v1.saved_model.loader.load(sess, args.tag_set.split(","), args.dir)
        signature = meta.signature_def[args.signature_def]
        feeds = {}
        for item in filter(None, args.inputs.split(";")):
            key, path = item.split("=", 1)
            feeds[signature.inputs[key].name] = np.load(path, allow_pickle=False)
        outputs = [
            graph.get_tensor_by_name(signature.outputs[k].name) for k in sorted(signature.outputs)
        ]
        ops = needed_ops(outputs, set(feeds))
        ops = [op for op in ops if op.type != "Placeholder" or op.outputs[0].name not in feeds]
        tensors = [
            t
            for op in ops
            for t in op.outputs
            if t.dtype.base_dtype not in _HANDLES and graph.is_fetchable(t)
        ]
        values = dict(zip((t.name for t in tensors), sess.run(tensors, feed_dict=feeds)))
    records = []
    for op in ops:
        for slot, t in enumerate(op.outputs):
            record = TensorRecord(
                order=len(records), node_name=op.name, op_type=op.type, output_slot=slot,
                dtype=t.dtype.base_dtype.name, shape=None, nbytes=0, start=0.0, elapsed=0.0,
                device=op.device,
            )  # fmt: skip
            value = values.get(t.name)
            if value is None:
                record.note = f"{t.dtype.base_dtype.name} handle (not fetched)"
            else:
                value = np.asarray(value)
                record.value, record.shape, record.nbytes = value, value.shape, value.nbytes
                record.stats = compute_stats(value)
            records.append(record)
    write_dump(
        args.out,
        records,
        {
            "run_call": 1,
            "fetches": [t.name for t in outputs],
            "feeds": sorted(feeds),
            "error": None,
            "producer": "tensorflow",
        },
    )


if __name__ == "__main__":
    main()
