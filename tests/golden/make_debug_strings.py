# Needs TensorFlow 2.21: run with the TF venv python, e.g. "$(scripts/tf_venv)" tests/golden/make_debug_strings.py
"""Records ``CheckpointReader.debug_string()`` for every golden checkpoint, as TF returns it.

Writes ``tests/golden/checkpoints/debug_strings.json``: fixture-relative prefix -> the
returned bytes, base64-encoded (partitioned variables' slice keys are not UTF-8).
"""

import base64
import json
from pathlib import Path

import tensorflow as tf

HERE = Path(__file__).resolve().parent / "checkpoints"


def main() -> None:
    result = {}
    for index in sorted(HERE.rglob("*.index")):
        prefix = str(index)[: -len(".index")]
        reader = tf.compat.v1.train.NewCheckpointReader(prefix)
        text = reader.debug_string()
        result[str(Path(prefix).relative_to(HERE))] = base64.b64encode(text).decode()
    (HERE / "debug_strings.json").write_text(json.dumps(result, indent=1, sort_keys=True) + "\n")
    print(f"{len(result)} checkpoints")


if __name__ == "__main__":
    main()
