"""``SavedModelBuilder``: writes a TF1 SavedModel (graphs, variables, assets, signatures).

Everything is written into a temporary sibling directory that is renamed to
``export_dir`` by :meth:`SavedModelBuilder.save`, so the SavedModel appears complete or
not at all; an existing non-empty ``export_dir`` is never overwritten. For a URL
(``s3://``, ``gs://``, ...) the temporary directory is local and :meth:`save` uploads it,
``saved_model.pb`` last: the file that makes a directory a SavedModel appears only once
everything it refers to is there.
"""

from __future__ import annotations

import logging
import os
import secrets
import shutil
import tempfile
from typing import Any

from google.protobuf import text_format

from stowflow import _fs
from stowflow.graph.core import GraphKeys, Operation, Tensor
from stowflow.proto import meta_graph_pb2, saved_model_pb2, saver_pb2
from stowflow.saved_model import constants
from stowflow.saved_model.signature_def_utils import is_valid_signature
from stowflow.training.saver import Saver

logger = logging.getLogger("tensorflow")


def _asset_files(assets: Any, sess: Any) -> list[tuple[str, str]]:
    """(tensor name, source path) for each asset tensor (string Consts holding a path)."""
    found = []
    for item in assets or []:
        tensor = item if isinstance(item, Tensor) else sess.graph.as_graph_element(item)
        path = sess.run(tensor)
        found.append((tensor.name, path.decode() if isinstance(path, bytes) else str(path)))
    return found


class SavedModelBuilder:
    """Builds a SavedModel with one or more tagged MetaGraphDefs (``tf.saved_model.Builder``).

    Args:
        export_dir: where the SavedModel appears on :meth:`save`.

    Raises:
        AssertionError: if ``export_dir`` exists and is not empty (TF's message).
    """

    def __init__(self, export_dir: str) -> None:
        export_dir = _fs.local_path(os.fspath(export_dir))
        _fs.check_backend(export_dir)
        if _fs.exists(export_dir) and _fs.listdir(export_dir):
            raise AssertionError(
                "Export directory already exists, and isn't empty. Please choose a different "
                f"export directory, or delete all the contents of the specified directory: "
                f"{export_dir}"
            )
        self._export_dir = export_dir
        if _fs.is_url(export_dir):
            self._tmp_dir = tempfile.mkdtemp(prefix="stowflow-savedmodel-")
        else:
            self._tmp_dir = f"{export_dir.rstrip(os.sep)}.tmp-{secrets.token_hex(6)}"
            os.makedirs(self._tmp_dir)
        self._proto = saved_model_pb2.SavedModel(
            saved_model_schema_version=constants.SAVED_MODEL_SCHEMA_VERSION
        )
        self._has_saved_variables = False
        self._copied_assets: dict[str, str] = {}

    # -- pieces ---------------------------------------------------------------------------------

    def _copy_assets(self, files: list[tuple[str, str]] | None) -> list[Any]:
        """Copies asset files into the export; None (no collection given) vs [] log as TF."""
        if files is None:
            logger.info("No assets to save.")
        else:
            logger.info("Assets added to graph.")
        if not files:
            logger.info("No assets to write.")
            return []
        defs = []
        asset_dir = os.path.join(self._tmp_dir, constants.ASSETS_DIRECTORY)
        for tensor_name, source in files:
            base = os.path.basename(source)
            if base not in self._copied_assets:  # the first asset of a name wins (TF's rule)
                os.makedirs(asset_dir, exist_ok=True)
                _fs.copy(source, os.path.join(asset_dir, base))
                self._copied_assets[base] = source
            asset = meta_graph_pb2.AssetFileDef(filename=base)
            asset.tensor_info.name = tensor_name
            defs.append(asset)
        logger.info(
            "Assets written to: %s", os.path.join(self._export_dir, constants.ASSETS_DIRECTORY)
        )
        return defs

    @staticmethod
    def _check_signatures(signature_def_map: dict[str, Any] | None) -> None:
        for key, sig in (signature_def_map or {}).items():
            if not isinstance(key, str):
                raise AssertionError(f"signature_def_map key {key!r} is not a string")
            if not is_valid_signature(sig):
                raise AssertionError(f"Signature {key!r} is not a valid SignatureDef: {sig}")

    def _meta_graph(
        self,
        sess: Any,
        saver: Saver,
        tags: list[str],
        signature_def_map: dict[str, Any] | None,
        assets: Any,
        init_op: Any,
        init_key: str,
        clear_devices: bool,
        strip_default_attrs: bool,
    ) -> Any:
        graph = sess.graph
        if init_op is not None:
            op = init_op if isinstance(init_op, Operation) else init_op.op
            graph.get_collection_ref(init_key)[:] = [op]
        asset_defs = self._copy_assets(None if assets is None else _asset_files(assets, sess))
        with graph.as_default():
            meta = saver.export_meta_graph(
                clear_devices=clear_devices, strip_default_attrs=strip_default_attrs
            )
        if init_op is not None:
            graph.clear_collection(init_key)
        meta.meta_info_def.tags.extend(tags)
        for key, sig in (signature_def_map or {}).items():
            meta.signature_def[key].CopyFrom(sig)
        for asset in asset_defs:
            packed = meta.collection_def[constants.ASSETS_KEY].any_list.value.add()
            packed.type_url = constants.ASSET_FILE_DEF_TYPE_URL
            packed.value = asset.SerializeToString()
        return meta

    @staticmethod
    def _saver_for(sess: Any, saver: Saver | None) -> Saver:
        if saver is not None:
            return saver
        with sess.graph.as_default():
            return Saver(sharded=True, write_version=saver_pb2.SaverDef.V2, allow_empty=True)

    def _append(
        self,
        sess: Any,
        saver: Saver,
        tags: list[str],
        signature_def_map: dict[str, Any] | None,
        assets: Any,
        main_op: Any,
        legacy_init_op: Any,
        clear_devices: bool,
        strip_default_attrs: bool,
    ) -> None:
        """Exports the session's graph as a tagged MetaGraphDef into the SavedModel proto."""
        init, key = _init_op(main_op, legacy_init_op)
        meta = self._meta_graph(
            sess,
            saver,
            list(tags),
            signature_def_map,
            assets,
            init,
            key,
            clear_devices,
            strip_default_attrs,
        )
        self._proto.meta_graphs.add().CopyFrom(meta)

    # -- public API -----------------------------------------------------------------------------

    def add_meta_graph_and_variables(
        self,
        sess: Any,
        tags: list[str],
        signature_def_map: dict[str, Any] | None = None,
        assets_collection: Any = None,
        legacy_init_op: Any = None,
        clear_devices: bool = False,
        main_op: Any = None,
        strip_default_attrs: bool = False,
        saver: Saver | None = None,
        assets_list: Any = None,
        init_op: Any = None,
    ) -> None:
        """Saves the session's variables and adds its graph under ``tags``.

        Raises:
            AssertionError: if called twice, or for an invalid signature.
        """
        if self._has_saved_variables:
            raise AssertionError(
                "Graph state including variables and assets has already been "
                "saved. Please invoke `add_meta_graph()` instead."
            )
        self._check_signatures(signature_def_map)
        saver = self._saver_for(sess, saver)
        if saver.saver_def is not None:
            var_dir = os.path.join(self._tmp_dir, constants.VARIABLES_DIRECTORY)
            os.makedirs(var_dir, exist_ok=True)
            saver.save(
                sess,
                os.path.join(var_dir, constants.VARIABLES_FILENAME),
                write_meta_graph=False,
                write_state=False,
            )
        self._append(
            sess,
            saver,
            tags,
            signature_def_map,
            assets_collection if assets_collection is not None else assets_list,
            main_op or init_op,
            legacy_init_op,
            clear_devices,
            strip_default_attrs,
        )
        self._has_saved_variables = True

    def add_meta_graph(
        self,
        tags: list[str],
        signature_def_map: dict[str, Any] | None = None,
        assets_collection: Any = None,
        legacy_init_op: Any = None,
        clear_devices: bool = False,
        main_op: Any = None,
        strip_default_attrs: bool = False,
        saver: Saver | None = None,
        assets_list: Any = None,
        init_op: Any = None,
    ) -> None:
        """Adds the default graph under ``tags``, sharing the variables saved earlier.

        Raises:
            AssertionError: if :meth:`add_meta_graph_and_variables` was not called first.
        """
        if not self._has_saved_variables:
            raise AssertionError(
                "Graph state including variables and assets has not been "
                "saved yet. Please invoke `add_meta_graph_and_variables()` "
                "first."
            )
        self._check_signatures(signature_def_map)
        from stowflow.graph.session import Session

        sess = Session()
        saver = self._saver_for(sess, saver)
        self._append(
            sess,
            saver,
            tags,
            signature_def_map,
            assets_collection if assets_collection is not None else assets_list,
            main_op or init_op,
            legacy_init_op,
            clear_devices,
            strip_default_attrs,
        )

    def abort(self) -> None:
        """Discards the partly built SavedModel (its temporary directory)."""
        shutil.rmtree(self._tmp_dir, ignore_errors=True)

    def __enter__(self) -> SavedModelBuilder:
        return self

    def __exit__(self, exc_type: Any, *exc: Any) -> None:
        if exc_type is not None:
            self.abort()

    def save(self, as_text: bool = False) -> str:
        """Writes ``saved_model.pb`` (or ``.pbtxt``) and moves the SavedModel into place.

        Returns:
            The path of the written protobuf file.

        Raises:
            AssertionError: if ``export_dir`` appeared (non-empty) in the meantime.
        """
        name = (
            constants.SAVED_MODEL_FILENAME_PBTXT if as_text else constants.SAVED_MODEL_FILENAME_PB
        )
        data = (
            text_format.MessageToString(self._proto).encode()
            if as_text
            else self._proto.SerializeToString(deterministic=True)
        )
        _fs.write_atomic(os.path.join(self._tmp_dir, name), data)
        if _fs.is_url(self._export_dir):
            return self._upload(name)
        if os.path.isdir(self._export_dir) and not os.listdir(self._export_dir):
            os.rmdir(self._export_dir)
        if os.path.exists(self._export_dir):
            raise AssertionError(f"Export directory {self._export_dir} appeared while building")
        parent = os.path.dirname(os.path.abspath(self._export_dir))
        os.makedirs(parent, exist_ok=True)
        os.rename(self._tmp_dir, self._export_dir)
        _fs.fsync_dir(parent)
        path = os.path.join(self._export_dir, name)
        logger.info("SavedModel written to: %s", path)
        return path

    def _upload(self, name: str) -> str:
        """Uploads the built SavedModel: data, then the variables index, then ``name``."""
        if _fs.exists(self._export_dir):
            raise AssertionError(f"Export directory {self._export_dir} appeared while building")
        index = f"{constants.VARIABLES_DIRECTORY}/{constants.VARIABLES_FILENAME}.index"
        _fs.upload_tree(self._tmp_dir, self._export_dir, last=(index, name))
        shutil.rmtree(self._tmp_dir, ignore_errors=True)
        path = os.path.join(self._export_dir, name)
        logger.info("SavedModel written to: %s", path)
        return path


def _init_op(main_op: Any, legacy_init_op: Any) -> tuple[Any, str]:
    if main_op is not None and legacy_init_op is not None:
        raise ValueError("Only one of main_op and legacy_init_op can be specified.")
    if legacy_init_op is not None:
        return legacy_init_op, constants.LEGACY_INIT_OP_KEY
    return main_op, constants.MAIN_OP_KEY


Builder = SavedModelBuilder


def simple_save(
    session: Any,
    export_dir: str,
    inputs: dict[str, Any],
    outputs: dict[str, Any],
    legacy_init_op: Any = None,
) -> None:
    """One predict signature ``serving_default`` under the ``serve`` tag (``simple_save``)."""
    from stowflow.saved_model import signature_constants, tag_constants
    from stowflow.saved_model.signature_def_utils import predict_signature_def

    builder = SavedModelBuilder(export_dir)
    builder.add_meta_graph_and_variables(
        session,
        [tag_constants.SERVING],
        signature_def_map={
            signature_constants.DEFAULT_SERVING_SIGNATURE_DEF_KEY: predict_signature_def(
                inputs, outputs
            )
        },
        assets_collection=session.graph.get_collection(GraphKeys.ASSET_FILEPATHS),
        main_op=legacy_init_op,
        clear_devices=True,
    )
    builder.save()
