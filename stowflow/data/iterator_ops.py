"""``tf.compat.v1.data.Iterator``: one-shot and initializable iterators over a dataset.

Graph nodes as TF 2.21 makes them: ``IteratorV2`` + ``MakeIterator`` (the initializer) or
``OneShotIterator`` (its ``dataset_factory`` a by-value copy of the dataset's subgraph,
``_make_dataset_<hash>``), then ``IteratorToStringHandle`` and ``IteratorGetNext``, all
colocated with the dataset node.

Example:
    >>> # it = make_initializable_iterator(ds); sess.run(it.initializer)
    >>> # sess.run(it.get_next())  -> next element; OutOfRangeError("End of sequence") at the end
"""

from __future__ import annotations

from typing import Any

from stowflow.data import structure as nest
from stowflow.data import tracing
from stowflow.data.dataset_ops import DatasetV1, user_shape
from stowflow.graph.builder import apply_op, apply_op_outputs
from stowflow.graph.core import Operation, Tensor, get_default_graph


class Iterator:
    """An iterator over a dataset in a TF1 graph."""

    def __init__(self, resource: Tensor, initializer: Operation | None, dataset: DatasetV1) -> None:
        self._iterator_resource = resource
        self._initializer = initializer
        self._structure = dataset._structure
        self._colocate = dataset._variant_tensor.op
        with get_default_graph().colocate_with(self._colocate):
            self._string_handle = apply_op_outputs(
                "IteratorToStringHandle",
                {"resource_handle": resource},
                None,
                name="IteratorToStringHandle",
            )[0]

    @property
    def initializer(self) -> Operation:
        """The op that (re)starts the iterator.

        Raises:
            ValueError: for a one-shot iterator (TF's message).
        """
        if self._initializer is None:
            raise ValueError(
                "The iterator does not have an initializer. This means it was likely created "
                "using `tf.data.Dataset.make_one_shot_iterator()`. For an initializable "
                "iterator, use `tf.data.Dataset.make_initializable_iterator()` instead."
            )
        return self._initializer

    @property
    def output_types(self) -> Any:
        """The nest of element dtypes."""
        return nest.map_structure(lambda s: s.dtype, self._structure)

    @property
    def output_shapes(self) -> Any:
        """The nest of element shapes."""
        return nest.map_structure(lambda s: user_shape(s.shape), self._structure)

    @property
    def element_spec(self) -> Any:
        """The nest of TensorSpec of an element."""
        return self._structure

    def string_handle(self, name: str | None = None) -> Tensor:
        """The iterator's string handle tensor."""
        return self._string_handle

    def get_next(self, name: str | None = None) -> Any:
        """The next element's tensors (an ``IteratorGetNext`` node), in the element structure."""
        specs = nest.flatten(self._structure)
        with get_default_graph().colocate_with(self._colocate):
            out = apply_op_outputs(
                "IteratorGetNext",
                {"iterator": self._iterator_resource},
                {
                    "output_types": [s.dtype for s in specs],
                    "output_shapes": [s.shape for s in specs],
                },
                name=name or "IteratorGetNext",
            )
        for tensor, spec in zip(out, specs, strict=True):
            tensor._shape = spec.shape
        return nest.pack(self._structure, out)


def _flat_structure(dataset: DatasetV1) -> dict[str, Any]:
    specs = nest.flatten(dataset._structure)
    return {"output_types": [s.dtype for s in specs], "output_shapes": [s.shape for s in specs]}


def make_initializable_iterator(dataset: DatasetV1, shared_name: str | None = None) -> Iterator:
    """``tf.compat.v1.data.make_initializable_iterator``: run ``.initializer`` first."""
    graph = get_default_graph()
    with graph.colocate_with(dataset._variant_tensor.op):
        resource = apply_op_outputs(
            "IteratorV2",
            {},
            {"container": "", "shared_name": shared_name or "", **_flat_structure(dataset)},
            name="IteratorV2",
        )[0]
        init = apply_op(
            "MakeIterator",
            {"dataset": dataset._variant_tensor, "iterator": resource},
            None,
            name="MakeIterator",
        )
    if not isinstance(init, Operation):
        raise TypeError("MakeIterator must have no outputs")
    return Iterator(resource, init, dataset)


def make_one_shot_iterator(dataset: DatasetV1) -> Iterator:
    """``tf.compat.v1.data.make_one_shot_iterator``: no initializer needed.

    Raises:
        ValueError: if the dataset depends on a placeholder or variable (TF's advice:
            use ``make_initializable_iterator``).
    """
    graph = get_default_graph()
    factory = tracing.subgraph_function(graph, "_make_dataset_", dataset._variant_tensor)
    with graph.colocate_with(dataset._variant_tensor.op):
        resource = apply_op_outputs(
            "OneShotIterator",
            {},
            {
                "dataset_factory": tracing.func_attr_plain(factory),
                "container": "",
                "shared_name": "",
                **_flat_structure(dataset),
            },
            name="OneShotIterator",
        )[0]
    return Iterator(resource, None, dataset)


def get_output_types(dataset: Any) -> Any:
    """``tf.compat.v1.data.get_output_types``."""
    return dataset.output_types


def get_output_shapes(dataset: Any) -> Any:
    """``tf.compat.v1.data.get_output_shapes``."""
    return dataset.output_shapes


def get_output_classes(dataset: Any) -> Any:
    """``tf.compat.v1.data.get_output_classes``."""
    return dataset.output_classes
