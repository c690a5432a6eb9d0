"""``tensorflow_serving.apis.input_pb2`` on stowflow's protos (TF's field numbers)."""

from stowflow.proto.serving.input_pb2 import (
    DESCRIPTOR,
    ExampleList,
    ExampleListWithContext,
    Input,
)

__all__ = [
    "DESCRIPTOR",
    "ExampleList",
    "ExampleListWithContext",
    "Input",
]
