"""TensorFlow's tensor bundle (V2 checkpoint) format: the ``.index`` table and ``.data`` shards."""

from stowflow.bundle.merge import merge_bundles
from stowflow.bundle.reader import BundleReader
from stowflow.bundle.writer import BundleWriter, data_filename, index_filename

__all__ = ["BundleReader", "BundleWriter", "data_filename", "index_filename", "merge_bundles"]
