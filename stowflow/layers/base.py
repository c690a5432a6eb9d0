"""``tf.compat.v1.layers.Layer``: the TF1 layer base as TF 2.15 runs it in graph mode.

A layer owns one variable scope, fixed the first time it creates a variable or is called:
``tf.variable_scope(scope, default_name=<base name>)``, so unnamed layers become ``dense``,
``dense_1``... (unique among the scopes opened in the enclosing variable scope), and ops go
into the name scope captured with it. ``build`` runs on the first call; later calls reuse the
variables. Weight regularizers run once per new variable under ``<name>/Regularizer`` and
activity regularizers under ``ActivityRegularizer`` (loss / batch size); both losses go to
``tf.GraphKeys.REGULARIZATION_LOSSES``. Update ops (batch-norm moving averages) go to
``tf.GraphKeys.UPDATE_OPS`` after each call.

Example:
    >>> # class Scale(Layer):
    >>> #     def build(self, input_shape):
    >>> #         self.w = self.add_weight("w", [int(input_shape[-1])])
    >>> #     def call(self, inputs):
    >>> #         return inputs * self.w
"""

from __future__ import annotations

import re
import weakref
from collections.abc import Callable
from typing import Any

import numpy as np

from stowflow import dtypes
from stowflow.graph import math_ops
from stowflow.graph import variables as vs
from stowflow.graph.builder import convert_to_tensor
from stowflow.graph.core import Graph, GraphKeys, Operation, Tensor, get_default_graph

_LAYER_NAME_COUNTS: weakref.WeakKeyDictionary[Graph, dict[str, int]] = weakref.WeakKeyDictionary()


def to_snake_case(name: str) -> str:
    """``Conv2DTranspose`` -> ``conv2d_transpose`` (Keras' ``to_snake_case``)."""
    intermediate = re.sub("(.)([A-Z][a-z0-9]+)", r"\1_\2", name)
    insecure = re.sub("([a-z])([A-Z])", r"\1_\2", intermediate).lower()
    return insecure if insecure[0] != "_" else "private" + insecure


def _unique_layer_name(base: str) -> str:
    """``base_1``, ``base_2``... per graph (Keras' one-based ``unique_object_name``); only
    ``.name`` uses it: the variable scope is uniquified separately."""
    counts = _LAYER_NAME_COUNTS.setdefault(get_default_graph(), {})
    counts[base] = counts.get(base, 0) + 1
    return f"{base}_{counts[base]}"


def _to_tensor(value: Any) -> Any:
    if isinstance(value, Tensor) or hasattr(value, "_as_tensor"):
        return value
    if isinstance(value, list | tuple) and value and all(isinstance(v, Tensor) for v in value):
        return value
    return convert_to_tensor(value)


class Layer:
    """Base of the TF1 layers: variable scoping, weights, losses and updates.

    Subclasses implement ``build(input_shape)`` (create weights with :meth:`add_weight`)
    and ``call(inputs, ...)``.

    Raises:
        TypeError: for unknown keyword arguments.
    """

    def __init__(
        self,
        trainable: bool = True,
        name: str | None = None,
        dtype: Any = None,
        activity_regularizer: Callable[[Tensor], Any] | None = None,
        **kwargs: Any,
    ) -> None:
        reuse = kwargs.pop("_reuse", None)
        scope = kwargs.pop("_scope", None)
        kwargs.pop("input_shape", None)
        if kwargs:
            raise TypeError(f"Keyword argument not understood: {sorted(kwargs)[0]}")
        self.trainable = trainable
        self.dtype = None if dtype is None else dtypes.as_dtype(dtype)
        self.activity_regularizer = activity_regularizer
        self.built = False
        self._reuse = reuse
        self._scope: vs.VariableScope | None = None
        self._current_scope: vs.VariableScope | None = None
        self._trainable_weights: list[Any] = []
        self._non_trainable_weights: list[Any] = []
        self._losses: list[Tensor] = []
        self._updates: list[Operation] = []
        self._graph: Graph | None = None
        if scope:
            # A functional layer named ``name`` opens ``variable_scope(name)`` right away.
            with vs.variable_scope(scope) as captured:
                self._scope = captured
        base = to_snake_case(type(self).__name__)
        if name:
            self._name, self._base_name = name, name
        else:
            self._name, self._base_name = _unique_layer_name(base), base

    # -- properties --------------------------------------------------------------------------

    @property
    def name(self) -> str:
        """The layer's name (unique per graph among unnamed layers of its class)."""
        return self._name

    @property
    def scope_name(self) -> str:
        """The full name of the layer's variable scope.

        Raises:
            ValueError: before the layer was first used (TF's message).
        """
        if self._scope is None:
            raise ValueError(
                f'No name available for layer scope because the layer "{self._name}" has not '
                "been used yet. The scope name  is determined the first time the layer "
                "instance is called. You must therefore call the layer before querying "
                "`scope_name`."
            )
        return self._scope.name

    @property
    def trainable_weights(self) -> list[Any]:
        """Trainable variables created by this layer."""
        return list(self._trainable_weights) if self.trainable else []

    trainable_variables = trainable_weights

    @property
    def non_trainable_weights(self) -> list[Any]:
        """Non-trainable variables (all of them when the layer is not trainable)."""
        if self.trainable:
            return list(self._non_trainable_weights)
        return self._trainable_weights + self._non_trainable_weights

    non_trainable_variables = non_trainable_weights

    @property
    def weights(self) -> list[Any]:
        """All variables of the layer, trainable first."""
        return self.trainable_weights + self.non_trainable_weights

    variables = weights

    @property
    def losses(self) -> list[Tensor]:
        """Regularization losses created by this layer."""
        return list(self._losses)

    @property
    def updates(self) -> list[Operation]:
        """Update ops (moving averages) created by this layer's calls."""
        return list(self._updates)

    @property
    def graph(self) -> Graph | None:
        """The graph the layer was first built in."""
        return self._graph

    # -- scope -----------------------------------------------------------------------------

    def _set_scope(self, scope: Any = None) -> None:
        if self._scope is not None:
            return
        if self._reuse:
            with vs.variable_scope(scope if scope is not None else self._base_name) as captured:
                self._scope = captured
        else:
            with vs.variable_scope(scope, default_name=self._base_name) as captured:
                self._scope = captured

    def _name_scope(self) -> str:
        # The name scope captured with the layer's variable scope (TF keeps it when the
        # scope object is re-entered).
        return self._scope.original_name_scope if self._scope is not None else ""

    # -- weights and losses --------------------------------------------------------------------

    def add_weight(
        self,
        name: str,
        shape: Any,
        dtype: Any = None,
        initializer: Any = None,
        regularizer: Callable[[Any], Any] | None = None,
        trainable: bool | None = None,
        constraint: Any = None,
        partitioner: Any = None,
        **kwargs: Any,
    ) -> Any:
        """Creates (or, when the layer is built/reused, fetches) a variable of the layer.

        Returns:
            The variable; its regularization loss, if any, is added once.

        Raises:
            TypeError: for an unknown keyword argument.
        """
        for key in kwargs:
            if key not in ("experimental_autocast", "use_resource", "synchronization"):
                raise TypeError(f"Unknown keyword argument: {key}")
        trainable = True if trainable is None else trainable
        graph = get_default_graph()
        existing = set(id(v) for v in vs.global_variables())
        dtype = dtypes.as_dtype(dtype if dtype is not None else (self.dtype or dtypes.float32))
        self._set_scope(None)
        reuse = True if self.built else self._reuse
        with vs.variable_scope(self._scope, reuse=reuse, auxiliary_name_scope=False) as scope:
            self._current_scope = scope
            with graph.name_scope(self._name_scope()):
                variable = vs.get_variable(
                    name,
                    shape=shape,
                    dtype=dtype,
                    initializer=initializer,
                    trainable=trainable and self.trainable,
                    constraint=constraint,
                    partitioner=partitioner,
                )
                if regularizer is not None and id(variable) not in existing:
                    with graph.name_scope(f"{name}/Regularizer"):
                        loss = regularizer(variable)
                    self.add_loss(loss)
        if self._graph is None:
            self._graph = graph
        if all(variable is not w for w in self._trainable_weights + self._non_trainable_weights):
            target = self._trainable_weights if trainable else self._non_trainable_weights
            target.append(variable)
        return variable

    add_variable = add_weight

    def add_loss(self, losses: Any, inputs: Any = None) -> None:
        """Adds loss tensors (None entries are skipped) to the layer and to the
        ``regularization_losses`` collection."""
        del inputs
        items = losses if isinstance(losses, list | tuple) else [losses]
        graph = get_default_graph()
        for loss in items:
            if loss is None:
                continue
            tensor = convert_to_tensor(loss)
            self._losses.append(tensor)
            graph.add_to_collection(GraphKeys.REGULARIZATION_LOSSES, tensor)

    def add_update(self, updates: Any, inputs: Any = None) -> None:
        """Records update ops (callables are called now, as TF does in graph mode)."""
        del inputs
        items = updates if isinstance(updates, list | tuple) else [updates]
        for update in items:
            value = update() if callable(update) else update
            op = value if isinstance(value, Operation) else getattr(value, "op", None)
            if op is not None:
                self._updates.append(op)

    # -- calling ---------------------------------------------------------------------------

    def build(self, input_shape: Any) -> None:
        """Creates the layer's weights; the base layer has none."""
        del input_shape
        self.built = True

    def call(self, inputs: Any, *args: Any, **kwargs: Any) -> Any:
        """The layer's computation; the base layer returns its inputs."""
        return inputs

    def __call__(self, inputs: Any, *args: Any, **kwargs: Any) -> Any:
        """Builds the layer on first use, then applies ``call`` in the layer's scopes."""
        scope = kwargs.pop("scope", None)
        self._set_scope(scope)
        reuse = True if self.built else self._reuse
        graph = get_default_graph()
        updates_before = len(self._updates)
        with vs.variable_scope(self._scope, reuse=reuse, auxiliary_name_scope=False) as current:
            self._current_scope = current
            with graph.name_scope(self._name_scope()):
                inputs = _to_tensor(inputs)
                if self.dtype is None:
                    first = inputs[0] if isinstance(inputs, list | tuple) else inputs
                    self.dtype = first.dtype.base_dtype  # TF's "_infer" dtype policy
                if not self.built:
                    shapes = (
                        [t.shape for t in inputs]
                        if isinstance(inputs, list | tuple)
                        else inputs.shape
                    )
                    self.build(shapes)
                    self.built = True
                outputs = self.call(inputs, *args, **kwargs)
                if self.activity_regularizer is not None:
                    self._activity_loss(outputs)
        if self._graph is None:
            self._graph = graph
        for op in self._updates[updates_before:]:
            graph.add_to_collection(GraphKeys.UPDATE_OPS, op)
        return outputs

    def apply(self, inputs: Any, *args: Any, **kwargs: Any) -> Any:
        """Same as calling the layer (TF1's ``Layer.apply``)."""
        return self(inputs, *args, **kwargs)

    def _activity_loss(self, outputs: Any) -> None:
        regularizer = self.activity_regularizer
        if regularizer is None:
            return
        from stowflow.graph import array_ops

        with get_default_graph().name_scope("ActivityRegularizer"):
            flat = outputs if isinstance(outputs, list | tuple) else [outputs]
            for output in flat:
                loss = convert_to_tensor(regularizer(output))
                batch = math_ops.cast(array_ops.shape(output)[0], loss.dtype.base_dtype)
                self.add_loss(loss / batch)

    def compute_output_shape(self, input_shape: Any) -> Any:
        """The output's static shape; layers override it."""
        return input_shape


def as_pair(value: Any, n: int, name: str) -> tuple[int, ...]:
    """An int or a sequence of ``n`` ints as a tuple (Keras' ``normalize_tuple``).

    Raises:
        ValueError: for a sequence of another length or non-integers (TF's message).
    """
    if isinstance(value, int | np.integer):
        return (int(value),) * n
    values = tuple(value)
    if len(values) != n or not all(isinstance(v, int | np.integer) for v in values):
        raise ValueError(
            f"The `{name}` argument must be a tuple of {n} integers. Received: {value}"
        )
    return tuple(int(v) for v in values)
