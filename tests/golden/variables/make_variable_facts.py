"""Records TensorFlow's outcomes of tests/golden/variables/cases.py into variable_facts.json.

NEEDS TENSORFLOW 2.21. Run from the repository root with the oracle venv:

    "$(scripts/tf_venv)" tests/golden/variables/make_variable_facts.py
"""

from __future__ import annotations

import json
import os
import sys
import tempfile

import tensorflow as tf

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from cases import CASES, outcome  # noqa: E402

tf1 = tf.compat.v1
tf1.disable_eager_execution()


def main() -> None:
    facts = {}
    for name, case in CASES.items():
        with tempfile.TemporaryDirectory() as scratch:
            facts[name] = outcome(tf1, tf.Graph(), case, scratch)
    with open(os.path.join(HERE, "variable_facts.json"), "w") as f:
        json.dump(facts, f, indent=1, sort_keys=True)
    print(json.dumps(facts, indent=1))


if __name__ == "__main__":
    main()
