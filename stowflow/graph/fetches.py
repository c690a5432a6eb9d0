"""Flattening of ``Session.run`` fetch structures and rebuilding of their results.

Supports a single element, lists, tuples, namedtuples, dicts and any nesting of them;
elements are Tensors, Operations, Variables or names (``"x:0"``, ``"init"``). A SparseTensor
is fetched as a ``SparseTensorValue`` of its three parts, and fed from one (or a 3-tuple).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from stowflow.graph.core import Graph, Operation, Tensor
from stowflow.graph.sparse import SparseTensor, SparseTensorValue


def _is_namedtuple(value: Any) -> bool:
    return isinstance(value, tuple) and hasattr(value, "_fields")


def flatten(fetches: Any, graph: Graph) -> tuple[list[Tensor | Operation], Callable[[list], Any]]:
    """Returns the flat element list and a function mapping their values to the structure.

    Raises:
        TypeError: for a fetch of an unsupported type (e.g. None), with TF's message.
    """
    flat: list[Tensor | Operation] = []

    def walk(item: Any) -> Callable[[list], Any]:
        if item is None:
            raise TypeError(
                f'Argument `fetch` = {item} has invalid type "NoneType". Cannot be None'
            )
        if isinstance(item, dict):
            keys = list(item)
            subs = [walk(item[k]) for k in keys]
            dict_kind = type(item)
            return lambda values: dict_kind((k, s(values)) for k, s in zip(keys, subs, strict=True))
        if isinstance(item, SparseTensor):
            parts = [walk(t) for t in item.parts]
            return lambda values: SparseTensorValue(*[s(values) for s in parts])
        if _is_namedtuple(item):
            subs = [walk(v) for v in item]
            return lambda values: type(item)(*[s(values) for s in subs])
        if isinstance(item, list | tuple):
            subs = [walk(v) for v in item]
            kind = type(item)
            return lambda values: kind(s(values) for s in subs)
        try:
            element = graph.as_graph_element(item, allow_tensor=True, allow_operation=True)
        except TypeError as e:
            # TF 2.x session.py _ElementFetchMapper wording; KeyError becomes ValueError there.
            raise TypeError(
                f"Argument `fetch` = {item} has invalid type "
                f'"{type(item).__name__}" must be a string or Tensor. ({e})'
            ) from None
        except (KeyError, ValueError) as e:
            raise ValueError(
                f"Argument `fetch` = {item} cannot be interpreted as a Tensor. ({e})"
            ) from None
        index = len(flat)
        flat.append(element)
        if isinstance(element, Operation):
            return lambda values: None
        return lambda values: values[index]

    rebuild = walk(fetches)
    return flat, rebuild


def expand_sparse_feeds(feed_dict: Any) -> dict[Any, Any]:
    """``feed_dict`` with each SparseTensor key split into its three component tensors.

    Raises:
        TypeError: if a SparseTensor is fed something other than a 3-part value.
    """
    out: dict[Any, Any] = {}
    for key, value in (feed_dict or {}).items():
        if not isinstance(key, SparseTensor):
            out[key] = value
            continue
        if not (isinstance(value, tuple) and len(value) == 3):
            raise TypeError(
                f"The feed for SparseTensor {key} must be a SparseTensorValue or a 3-tuple of "
                f"(indices, values, dense_shape); got {type(value).__name__}."
            )
        out.update(zip(key.parts, value, strict=True))
    return out
