"""``make_parse_example_spec``: the ``parse_example`` features dict for a set of columns."""

from __future__ import annotations

from typing import Any

from stowflow.feature_column import base


def make_parse_example_spec(feature_columns: Any) -> dict[str, Any]:
    """Merges the columns' ``FixedLenFeature``/``VarLenFeature`` specs by feature key.

    Raises:
        ValueError: for a non-column or two different specs for one key (TF's messages).

    Example:
        >>> make_parse_example_spec([numeric_column("age")])
        {'age': FixedLenFeature(shape=(1,), dtype=tf.float32, default_value=None)}
    """
    result: dict[str, Any] = {}
    for column in feature_columns:
        if not isinstance(column, base.FeatureColumn):
            raise ValueError(
                f"All feature_columns must be _FeatureColumn instances. Given: {column}"
            )
        config = column.parse_example_spec
        for key, value in config.items():
            if key in result and value != result[key]:
                raise ValueError(
                    f"feature_columns contain different parse_spec for key {key}. "
                    f"Given {value} and {result[key]}"
                )
        result.update(config)
    return result
