"""Regenerates stowflow/graph/op_defs.binarypb from TensorFlow's op registry.

NEEDS TensorFlow 2.21: run with the oracle venv, e.g.
    $(scripts/tf_venv) scripts/gen_op_defs.py
The OpDefs are interface facts (argument names, attrs, defaults, allowed types); their
documentation is stripped, as TensorFlow itself strips it in MetaGraphDef.stripped_op_list.
"""

import os

from tensorflow.core.framework import op_def_pb2
from tensorflow.python.framework import op_def_registry

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "stowflow", "graph")


def main() -> None:
    with open(os.path.join(HERE, "op_list.txt")) as f:
        names = [line.strip() for line in f if line.strip() and not line.startswith("#")]
    out = op_def_pb2.OpList()
    for name in sorted(set(names)):
        op = out.op.add()
        op.CopyFrom(op_def_registry.get(name))
        op.ClearField("summary")
        op.ClearField("description")
        for arg in list(op.input_arg) + list(op.output_arg):
            arg.ClearField("description")
        for attr in op.attr:
            attr.ClearField("description")
    with open(os.path.join(HERE, "op_defs.binarypb"), "wb") as f:
        f.write(out.SerializeToString(deterministic=True))
    print(f"wrote {len(out.op)} OpDefs")


if __name__ == "__main__":
    main()
