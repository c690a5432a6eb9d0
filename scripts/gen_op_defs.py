"""Regenerates stowflow/graph/op_defs.binarypb: the OpDef of every op TensorFlow registers.

NEEDS TensorFlow 2.21: run with the oracle venv from the repository root:
    $(scripts/tf_venv) scripts/gen_op_defs.py
The OpDefs are interface facts (argument names, attrs, defaults, allowed types); their
documentation is stripped, as TensorFlow itself strips it in MetaGraphDef.stripped_op_list.
Knowing every OpDef lets stowflow import and validate any GraphDef; whether it can *run* an
op is a separate question, answered by the kernel registry (stowflow.graph.kernels).
"""

import os

from tensorflow.core.framework import op_def_pb2
from tensorflow.python.client import pywrap_tf_session

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "stowflow", "graph")


def main() -> None:
    buffer = pywrap_tf_session.TF_GetAllOpList()
    registered = op_def_pb2.OpList()
    registered.ParseFromString(pywrap_tf_session.TF_GetBuffer(buffer))
    out = op_def_pb2.OpList()
    for op_def in sorted(registered.op, key=lambda o: o.name):
        op = out.op.add()
        op.CopyFrom(op_def)
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
