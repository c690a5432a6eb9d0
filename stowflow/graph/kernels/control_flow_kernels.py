"""Kernels for TensorFlow's v1 control flow (Switch/Merge/Enter/Exit/NextIteration) and v2 (While/If/Case)."""

from __future__ import annotations
