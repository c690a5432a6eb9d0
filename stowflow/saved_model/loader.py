"""Loading TF1 SavedModels into a Session (``tf.saved_model.loader``)."""

from __future__ import annotations

import logging
import os
from typing import Any

from stowflow import _deprecation, _fs
from stowflow import checkpoint as ckpt_lib
from stowflow.errors import DataLossError, InvalidArgumentError
from stowflow.proto import meta_graph_pb2, parsing, saved_model_pb2
from stowflow.saved_model import constants
from stowflow.training import meta_graph as meta_lib

logger = logging.getLogger("tensorflow")


def _pb_path(export_dir: str) -> tuple[str, bool] | None:
    for name, is_text in (
        (constants.SAVED_MODEL_FILENAME_PB, False),
        (constants.SAVED_MODEL_FILENAME_PBTXT, True),
    ):
        path = os.path.join(export_dir, name)
        if _fs.isfile(path):
            return path, is_text
    return None


def maybe_saved_model_directory(export_dir: str) -> bool:
    """True if ``export_dir`` holds a ``saved_model.pb`` or ``saved_model.pbtxt``."""
    return _pb_path(_fs.local_path(os.fspath(export_dir))) is not None


contains_saved_model = maybe_saved_model_directory


def parse_saved_model(export_dir: str) -> Any:
    """The SavedModel proto of ``export_dir``.

    Raises:
        OSError: TF's message when neither protobuf file exists.
        ValueError: if the file does not parse.
    """
    found = _pb_path(_fs.local_path(os.fspath(export_dir)))
    if found is None:
        raise OSError(
            f"SavedModel file does not exist at: {export_dir}{os.sep}"
            f"{{{constants.SAVED_MODEL_FILENAME_PBTXT}|{constants.SAVED_MODEL_FILENAME_PB}}}"
        )
    path, is_text = found
    proto = saved_model_pb2.SavedModel()
    data = _fs.read_limited(path, what="SavedModel")
    try:
        (parsing.parse_text if is_text else parsing.parse_binary)(proto, data, path)
    except DataLossError as e:
        raise ValueError(f"Cannot parse file {path}: {e.message}") from None
    return proto


def tag_sets(saved_model: Any) -> list[list[str]]:
    """The tag-set of each MetaGraphDef, in file order."""
    return [list(m.meta_info_def.tags) for m in saved_model.meta_graphs]


def find_meta_graph(saved_model: Any, tags: Any, export_dir: str = "") -> Any:
    """The MetaGraphDef whose tag-set equals ``tags``.

    Raises:
        RuntimeError: TF's message listing the available tag-sets.
    """
    wanted = set([tags] if isinstance(tags, str) else tags)
    for meta in saved_model.meta_graphs:
        if set(meta.meta_info_def.tags) == wanted:
            return meta
    available = [list(m.meta_info_def.tags) for m in saved_model.meta_graphs]
    raise RuntimeError(
        f"MetaGraphDef associated with tags {sorted(wanted)!r} could not be found in "
        f"SavedModel, with available tags '{available}'. To inspect available tag-sets in "
        "the SavedModel, please use the SavedModel CLI: `saved_model_cli`."
    )


def asset_file_defs(meta: Any) -> list[Any]:
    """AssetFileDefs from ``asset_file_def`` (TF2) or the ``saved_model_assets`` collection."""
    defs = list(meta.asset_file_def)
    collection = meta.collection_def.get(constants.ASSETS_KEY)
    if collection is not None:
        for packed in collection.any_list.value:
            asset = meta_graph_pb2.AssetFileDef()
            asset.ParseFromString(packed.value)
            defs.append(asset)
    return defs


def asset_path(export_dir: str, filename: str) -> str:
    """``<export_dir>/assets/<filename>``, refusing names that would leave ``assets/``.

    Raises:
        InvalidArgumentError: for an absolute name, a path separator or ``..``.
    """
    if not filename or filename != os.path.basename(filename) or filename in (".", ".."):
        raise InvalidArgumentError(
            None,
            None,
            f"SavedModel {export_dir} names an asset file {filename!r} outside its "
            "assets/ directory; refusing to feed it",
        )
    return os.path.join(export_dir, constants.ASSETS_DIRECTORY, filename)


def _init_op_name(meta: Any) -> str | None:
    init_sig = meta.signature_def.get(constants.INIT_OP_SIGNATURE_KEY)
    if init_sig is not None and constants.INIT_OP_SIGNATURE_KEY in init_sig.outputs:
        return str(init_sig.outputs[constants.INIT_OP_SIGNATURE_KEY].name)  # TF2 SavedModels
    for key in (constants.MAIN_OP_KEY, constants.LEGACY_INIT_OP_KEY):
        collection = meta.collection_def.get(key)
        if collection is not None and collection.node_list.value:
            return str(collection.node_list.value[0])
    return None


def load(
    sess: Any, tags: Any, export_dir: str, import_scope: str | None = None, **saver_kwargs: Any
) -> Any:
    """Loads the MetaGraphDef tagged ``tags`` into ``sess``; restores variables, runs main_op.

    Returns:
        The loaded MetaGraphDef.

    Raises:
        OSError: if there is no SavedModel at ``export_dir``.
        RuntimeError: if no MetaGraphDef has exactly these tags.
    """
    _deprecation.warn(
        "load", "tensorflow.python.saved_model.loader_impl", "Use `tf.saved_model.load` instead."
    )
    return load_internal(sess, tags, export_dir, import_scope, **saver_kwargs)


def load_internal(
    sess: Any, tags: Any, export_dir: str, import_scope: str | None = None, **saver_kwargs: Any
) -> Any:
    """:func:`load` without the TF1 deprecation warning (for stowflow's own callers).

    ``saver_kwargs`` go to ``import_meta_graph`` (``clear_devices``, ``input_map`` ...).
    """
    export_dir = os.fspath(export_dir)
    meta = find_meta_graph(parse_saved_model(export_dir), tags, export_dir)
    with sess.graph.as_default():
        saver, _ = meta_lib.import_meta_graph_with_return_elements(
            meta, import_scope=import_scope, **saver_kwargs
        )
        if not meta.HasField("saver_def"):
            saver = None
        prefix = os.path.join(
            export_dir, constants.VARIABLES_DIRECTORY, constants.VARIABLES_FILENAME
        )
        if saver is not None and ckpt_lib.checkpoint_exists(prefix):
            saver.restore(sess, prefix)
        elif saver is None:
            logger.info("The specified SavedModel has no variables; no checkpoints were restored.")
        init_name = _init_op_name(meta)
        if init_name is not None:
            scope = f"{import_scope}/" if import_scope else ""
            feeds = {
                scope + a.tensor_info.name: asset_path(export_dir, a.filename)
                for a in asset_file_defs(meta)
            }
            sess.run(scope + init_name, feed_dict=feeds)
    return meta
