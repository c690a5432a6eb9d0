"""(Re)build the seed scenario scripts from the seed documents.

    python tests/seeds/extract.py [SEEDS_DIR]     # default: ../shared/seeds beside the repo

Every scenario script is code copied verbatim from one seed document (by
fenced-block index or by 1-based inclusive line range), joined with blank
lines.  The only additions are the ones listed in ADDED below (and in
README.md): an implicit ``import tensorflow as tf`` and the calls for
seed 001's functions.  Running this is optional: the generated scripts are
checked in; this file documents exactly where each line came from.
"""
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
# The seed documents live in the project's shared directory, next to the repository.
DEFAULT_SEEDS = os.path.join(os.path.dirname(os.path.dirname(HERE)), "..", "shared", "seeds")

S000 = "000_749c3474264927c5.txt"
S001 = "001_0cef9cd2a4eacb0d.txt"
S002 = "002_6690b550741b62ad.txt"
S003 = "003_d9c61c15c34deee5.txt"
S004 = "004_21306fa89ab5135d.txt"

IMPORT_TF = ("add", "import tensorflow as tf\n")
GRAPH_UTIL_FIX = ("= graph_util.convert_variables_to_constants(",
                  "= tf.graph_util.convert_variables_to_constants(")

# scenario -> [(script name, [pieces][, [(old, new) replacements]])]
# piece: ("block", doc, index)   fenced ``` block number `index` (0-based)
#        ("lines", doc, a, b)    lines a..b of doc (1-based, inclusive)
#        ("add", text)           text NOT in the document (see README.md)
SCENARIOS = {
    "seed000_saver_all": [
        ("01_save.py", [("block", S000, 0)]),
        ("02_restore.py", [("block", S000, 1)]),
    ],
    "seed000_saver_subset": [
        ("01_save_v2.py", [("block", S000, 3)]),
        ("02_restore_v2.py", [("block", S000, 4)]),
        ("03_inspect_checkpoint.py", [("block", S000, 5)]),
    ],
    "seed001_ckpt": [
        ("01_save_model_ckpt.py", [
            ("block", S001, 0),
            ("add", "\nsave_model_ckpt('./ckpt/model.ckpt')\n"),
        ]),
        ("02_restore_model_ckpt.py", [
            ("block", S001, 5),
            ("add", "\nrestore_model_ckpt('./ckpt/model.ckpt')\n"),
        ]),
    ],
    "seed001_pb": [
        ("01_save_mode_pb.py", [
            ("block", S001, 6),
            ("add", "\nsave_mode_pb('./pb/model.pb')\n"),
        ]),
        ("02_restore_mode_pb.py", [
            ("block", S001, 7),
            ("add", "\nrestore_mode_pb('./pb/model.pb')\n"),
        ]),
    ],
    "seed002_guide": [
        ("01_save_restore_subset.py", [
            IMPORT_TF,
            ("lines", S002, 30, 52),
            ("lines", S002, 58, 75),
            ("lines", S002, 92, 107),
        ]),
    ],
    "seed003_guide": [
        ("01_save_restore_subset.py", [
            IMPORT_TF,
            ("block", S003, 0),
            ("block", S003, 1),
            ("block", S003, 2),
        ]),
    ],
    "seed004_notebook": [
        # In[1]..In[5] of the first notebook session
        ("01_save.py", [
            ("lines", S004, 4, 4),
            ("lines", S004, 7, 9),
            ("lines", S004, 12, 12),
            ("lines", S004, 19, 19),
            ("lines", S004, 22, 24),
        ]),
        ("02_restore.py", [("lines", S004, 31, 43)]),
        ("03_import_meta_graph.py", [("lines", S004, 52, 58)]),
        ("04_restore_subset_error.py", [("lines", S004, 67, 79)]),
        ("05_restore_renamed.py", [("lines", S004, 152, 164)]),
        ("06_freeze_pb.py", [("lines", S004, 173, 192)]),
        ("07_load_pb.py", [("lines", S004, 201, 215)]),
        # In[1] (restart kernel) and In[2] (same kernel, no restart)
        ("08_ema_save_then_restore_shadow.py", [
            ("lines", S004, 223, 249),
            ("lines", S004, 266, 271),
        ]),
        ("09_ema_variables_to_restore.py", [("lines", S004, 280, 293)]),
    ],
    # --- variants (NOT verbatim; see README.md "Variants") -----------------
    # TF 2.21's tensorflow.python.framework.graph_util module no longer has
    # convert_variables_to_constants, so the verbatim freeze programs die
    # with AttributeError.  These variants change only the call site to the
    # public compat.v1 alias so the freeze/load path gets a golden as well.
    "seed001_pb_compat": [
        ("01_save_mode_pb.py", [("block", S001, 6),
                                ("add", "\nsave_mode_pb('./pb/model.pb')\n")],
         [GRAPH_UTIL_FIX]),
        ("02_restore_mode_pb.py", [("block", S001, 7),
                                   ("add", "\nrestore_mode_pb('./pb/model.pb')\n")]),
    ],
    "seed004_freeze_compat": [
        ("01_save.py", [
            ("lines", S004, 4, 4),
            ("lines", S004, 7, 9),
            ("lines", S004, 12, 12),
            ("lines", S004, 19, 19),
            ("lines", S004, 22, 24),
        ]),
        ("02_freeze_pb.py", [("lines", S004, 173, 192)], [GRAPH_UTIL_FIX]),
        ("03_load_pb.py", [("lines", S004, 201, 215)]),
    ],
}


def _blocks(text):
    return re.findall(r"^```[a-z]*\n(.*?)^```", text, re.S | re.M)


def build(seeds_dir):
    cache = {}

    def doc(name):
        if name not in cache:
            with open(os.path.join(seeds_dir, name), encoding="utf-8") as f:
                cache[name] = f.read()
        return cache[name]

    for scen, scripts in SCENARIOS.items():
        os.makedirs(os.path.join(HERE, scen), exist_ok=True)
        for entry in scripts:
            fname, pieces = entry[0], entry[1]
            replacements = entry[2] if len(entry) > 2 else []
            parts = []
            for p in pieces:
                if p[0] == "block":
                    parts.append(_blocks(doc(p[1]))[p[2]])
                elif p[0] == "lines":
                    lines = doc(p[1]).split("\n")[p[2] - 1:p[3]]
                    parts.append("\n".join(lines).rstrip("\n") + "\n")
                else:
                    parts.append(p[1])
            code = ""
            for i, part in enumerate(parts):
                if i and not (pieces[i][0] == "add" and part.startswith("\n")):
                    code += "\n"
                code += part
            for old, new in replacements:
                assert code.count(old) == 1, (scen, fname, old)
                code = code.replace(old, new)
            with open(os.path.join(HERE, scen, fname), "w", encoding="utf-8") as f:
                f.write(code)


if __name__ == "__main__":
    build(sys.argv[1] if len(sys.argv) > 1 else os.path.normpath(DEFAULT_SEEDS))
