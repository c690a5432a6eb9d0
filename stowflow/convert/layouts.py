"""Layout transforms between TensorFlow's and PyTorch's weight layouts.

=========  ==========================  ===========================================
kind       TensorFlow                  PyTorch
=========  ==========================  ===========================================
dense      ``[in, out]``               ``[out, in]`` (``nn.Linear.weight``)
conv       ``[*spatial, in, out]``     ``[out, in, *spatial]`` (HWIO -> OIHW)
depthwise  ``[H, W, C, M]``            ``[C*M, 1, H, W]`` (grouped conv, groups=C)
=========  ==========================  ===========================================

``inverse=True`` goes back (used when the destination is a TF checkpoint); the inverse
depthwise transform assumes a channel multiplier of 1, as nothing in ``[C*M, 1, H, W]``
tells ``C`` from ``M``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from stowflow.errors import InvalidArgumentError


@dataclass(frozen=True)
class Layout:
    """One transform: which ranks it accepts and how it maps shapes and arrays."""

    ranks: Callable[[int], bool]
    forward: Callable[[tuple[int, ...]], tuple[tuple[int, ...], tuple[int, ...]]]
    inverse: Callable[[tuple[int, ...]], tuple[tuple[int, ...], tuple[int, ...]]]
    """shape -> (transpose permutation, output shape)."""


def _perm_and_shape(
    shape: tuple[int, ...], perm: tuple[int, ...]
) -> tuple[tuple[int, ...], tuple[int, ...]]:
    return perm, tuple(shape[p] for p in perm)


def _conv_forward(shape: tuple[int, ...]) -> tuple[tuple[int, ...], tuple[int, ...]]:
    n = len(shape)
    return _perm_and_shape(shape, (n - 1, n - 2, *range(n - 2)))


def _conv_inverse(shape: tuple[int, ...]) -> tuple[tuple[int, ...], tuple[int, ...]]:
    n = len(shape)
    return _perm_and_shape(shape, (*range(2, n), 1, 0))


def _depthwise_forward(shape: tuple[int, ...]) -> tuple[tuple[int, ...], tuple[int, ...]]:
    h, w, c, m = shape
    return (2, 3, 0, 1), (c * m, 1, h, w)


def _depthwise_inverse(shape: tuple[int, ...]) -> tuple[tuple[int, ...], tuple[int, ...]]:
    o, _, h, w = shape
    return (2, 3, 0, 1), (h, w, o, 1)


LAYOUTS: dict[str, Layout] = {
    "dense": Layout(lambda r: r == 2, lambda s: _perm_and_shape(s, (1, 0)),
                    lambda s: _perm_and_shape(s, (1, 0))),
    "conv": Layout(lambda r: r >= 3, _conv_forward, _conv_inverse),
    "depthwise": Layout(lambda r: r == 4, _depthwise_forward, _depthwise_inverse),
}  # fmt: skip


def _get(kind: str, name: str, shape: tuple[int, ...], inverse: bool) -> Layout:
    layout = LAYOUTS.get(kind)
    if layout is None:
        raise InvalidArgumentError(
            None, None, f"unknown layout {kind!r}; known: {', '.join(sorted(LAYOUTS))}"
        )
    if not layout.ranks(len(shape)) or (inverse and kind == "depthwise" and shape[1] != 1):
        raise InvalidArgumentError(
            None, None, f"tensor '{name}' of shape {list(shape)} cannot take the {kind} layout"
        )
    return layout


def out_shape(
    kind: str, name: str, shape: tuple[int, ...], *, inverse: bool = False
) -> tuple[int, ...]:
    """The shape after the transform.

    Raises:
        InvalidArgumentError: for an unknown kind or a rank the kind does not accept.
    """
    layout = _get(kind, name, shape, inverse)
    return (layout.inverse if inverse else layout.forward)(shape)[1]


def apply(kind: str, name: str, array: np.ndarray, *, inverse: bool = False) -> np.ndarray:
    """The transformed array (a new C-contiguous array).

    Example:
        >>> apply("dense", "w", np.zeros((3, 4))).shape
        (4, 3)
    """
    shape = tuple(array.shape)
    layout = _get(kind, name, shape, inverse)
    perm, new_shape = (layout.inverse if inverse else layout.forward)(shape)
    return np.ascontiguousarray(np.transpose(array, perm)).reshape(new_shape)
