"""TFRecord files: ``tf.io.TFRecordWriter``, ``tf.python_io.tf_record_iterator``, options.

A TFRecord file is a sequence of records, each framed as (TF ``record_writer.cc``)::

    uint64 length (little-endian) | uint32 masked_crc32c(length bytes)
    data[length]                  | uint32 masked_crc32c(data)

The whole stream may be compressed with zlib (``"ZLIB"``: a zlib stream) or gzip
(``"GZIP"``). Readers check both CRCs and raise :class:`~stowflow.errors.DataLossError`
naming the file and the record's offset in the (uncompressed) stream.

Example:
    >>> # with TFRecordWriter("/tmp/x.tfrecord", "GZIP") as w: w.write(b"abc")
    >>> # list(tf_record_iterator("/tmp/x.tfrecord", "GZIP"))  -> [b'abc']
"""

from __future__ import annotations

import gzip
import os
import struct
import zlib
from collections.abc import Iterator
from typing import IO, Any

from stowflow.bundle.crc import crc32c, mask
from stowflow.errors import DataLossError, InvalidArgumentError, NotFoundError

_HEADER = struct.Struct("<QI")  # length, masked CRC of the 8 length bytes
_FOOTER = struct.Struct("<I")
_CHUNK = 1 << 20
MAX_RECORD_BYTES = 1 << 34  # a corrupt length must not make us allocate the universe


class TFRecordCompressionType:
    """``tf.io.TFRecordCompressionType``: NONE, ZLIB, GZIP."""

    NONE = 0
    ZLIB = 1
    GZIP = 2


_BY_NAME = {"": TFRecordCompressionType.NONE, "ZLIB": 1, "GZIP": 2}
_NAMES = {0: "", 1: "ZLIB", 2: "GZIP"}


class TFRecordOptions:
    """``tf.io.TFRecordOptions``: compression type and zlib parameters of a TFRecord file.

    Args:
        compression_type: None, "", "ZLIB", "GZIP" or a TFRecordCompressionType value.
        compression_level: zlib level 0-9 (None: zlib's default, as TF).
        Other TF arguments (buffer sizes, window_bits, mem_level, strategy, flush_mode) are
        accepted; window_bits and mem_level and compression_strategy are applied.

    Raises:
        ValueError: for an unknown compression type.
    """

    compression_type_map = {
        TFRecordCompressionType.ZLIB: "ZLIB",
        TFRecordCompressionType.GZIP: "GZIP",
        TFRecordCompressionType.NONE: "",
    }

    def __init__(
        self,
        compression_type: Any = None,
        flush_mode: Any = None,
        input_buffer_size: Any = None,
        output_buffer_size: Any = None,
        window_bits: int | None = None,
        compression_level: int | None = None,
        compression_method: Any = None,
        mem_level: int | None = None,
        compression_strategy: int | None = None,
    ) -> None:
        self.compression_type = compression_type
        self.flush_mode = flush_mode
        self.input_buffer_size = input_buffer_size
        self.output_buffer_size = output_buffer_size
        self.window_bits = window_bits
        self.compression_level = compression_level
        self.compression_method = compression_method
        self.mem_level = mem_level
        self.compression_strategy = compression_strategy
        compression_kind(compression_type)  # validates

    @classmethod
    def get_compression_type_string(cls, options: Any) -> str:
        """ "", "ZLIB" or "GZIP" for options (TFRecordOptions, a string, a type or None)."""
        if isinstance(options, TFRecordOptions):
            return _NAMES[compression_kind(options.compression_type)]
        return _NAMES[compression_kind(options)]


def compression_kind(value: Any) -> int:
    """The TFRecordCompressionType of ``value`` (None, a name, a type, or options).

    Raises:
        ValueError: naming the value when it is not a known compression type.
    """
    if isinstance(value, TFRecordOptions):
        return compression_kind(value.compression_type)
    if value is None:
        return TFRecordCompressionType.NONE
    if isinstance(value, bytes):
        value = value.decode()
    if isinstance(value, str):
        if value.upper() in _BY_NAME:
            return _BY_NAME[value.upper()]
    elif isinstance(value, int) and value in _NAMES:
        return value
    raise ValueError(f'compression_type must be one of "", "ZLIB" or "GZIP"; got {value!r}')


def _options_of(options: Any) -> TFRecordOptions:
    return options if isinstance(options, TFRecordOptions) else TFRecordOptions(options)


def frame(record: bytes) -> bytes:
    """One record framed with its length, the length's masked CRC and the data's."""
    length = struct.pack("<Q", len(record))
    return b"".join(
        (length, _FOOTER.pack(mask(crc32c(length))), record, _FOOTER.pack(mask(crc32c(record))))
    )


class _ZlibSink:
    """A binary file that compresses what is written to it (zlib or gzip framing)."""

    def __init__(self, raw: IO[bytes], options: TFRecordOptions, gzip_framing: bool) -> None:
        bits = options.window_bits or zlib.MAX_WBITS
        level = -1 if options.compression_level is None else options.compression_level
        self._raw = raw
        self._z = zlib.compressobj(
            level,
            zlib.DEFLATED,
            bits + 16 if gzip_framing else bits,
            options.mem_level or 8,
            options.compression_strategy or 0,
        )

    def write(self, data: bytes) -> None:
        self._raw.write(self._z.compress(data))

    def flush(self) -> None:
        self._raw.write(self._z.flush(zlib.Z_SYNC_FLUSH))
        self._raw.flush()

    def close(self) -> None:
        self._raw.write(self._z.flush(zlib.Z_FINISH))
        self._raw.close()


class TFRecordWriter:
    """Writes records to a TFRecord file (``tf.io.TFRecordWriter``).

    Args:
        path: the file to create (truncated if it exists).
        options: None, "ZLIB"/"GZIP", or TFRecordOptions.

    Raises:
        NotFoundError: when the file cannot be created (TF's error for a missing directory).

    Example:
        >>> # with TFRecordWriter(path) as writer: writer.write(example.SerializeToString())
    """

    def __init__(self, path: str | os.PathLike[str], options: Any = None) -> None:
        opts = _options_of(options)
        kind = compression_kind(opts)
        self._path = os.fspath(path)
        try:
            raw = open(self._path, "wb")  # noqa: SIM115 - closed by close()
        except OSError as e:
            raise NotFoundError(None, None, f"{self._path}; {e.strerror}") from None
        self._sink: Any = (
            raw
            if kind == TFRecordCompressionType.NONE
            else _ZlibSink(raw, opts, kind == TFRecordCompressionType.GZIP)
        )
        self._closed = False

    def write(self, record: bytes | str) -> None:
        """Appends one record (bytes; str is UTF-8 encoded as TF does)."""
        if self._closed:
            raise InvalidArgumentError(None, None, "Writer is closed.")  # TF's wording
        self._sink.write(frame(record.encode() if isinstance(record, str) else bytes(record)))

    def flush(self) -> None:
        """Flushes buffered data to the file."""
        if not self._closed:
            self._sink.flush()

    def close(self) -> None:
        """Finishes the stream and closes the file (idempotent)."""
        if not self._closed:
            self._closed = True
            self._sink.close()

    def __enter__(self) -> TFRecordWriter:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def _open_stream(path: str, kind: int) -> IO[bytes]:
    try:
        raw = open(path, "rb")  # noqa: SIM115 - the caller closes it
    except OSError as e:
        raise NotFoundError(
            None, None, f"{path}; {e.strerror or 'No such file or directory'}"
        ) from None
    if kind == TFRecordCompressionType.GZIP:
        return gzip.GzipFile(fileobj=raw, mode="rb")  # type: ignore[return-value]
    if kind == TFRecordCompressionType.ZLIB:
        return _ZlibSource(raw)  # type: ignore[return-value]
    return raw


class _ZlibSource:
    """A readable stream that inflates a zlib-framed file."""

    def __init__(self, raw: IO[bytes]) -> None:
        self._raw = raw
        self._z = zlib.decompressobj()
        self._buffer = b""

    def read(self, n: int) -> bytes:
        while len(self._buffer) < n and not self._z.eof:
            chunk = self._raw.read(_CHUNK)
            if not chunk:
                break
            self._buffer += self._z.decompress(chunk)
        out, self._buffer = self._buffer[:n], self._buffer[n:]
        return out

    def close(self) -> None:
        self._raw.close()


def _read_exact(stream: IO[bytes], n: int, path: str, offset: int) -> bytes:
    try:
        data = stream.read(n)
    except (OSError, EOFError, zlib.error) as e:
        raise DataLossError(
            None, None, f"corrupted compressed stream at {offset} in {path}: {e}"
        ) from None
    if len(data) != n:
        raise DataLossError(None, None, f"truncated record at {offset} in {path}")
    return data


def read_records(path: str | os.PathLike[str], options: Any = None) -> Iterator[bytes]:
    """The records of a TFRecord file, in order, with both CRCs checked.

    Raises:
        NotFoundError: the file does not exist.
        DataLossError: a truncated or corrupted record ("corrupted record at <offset> in
            <path>"), offsets counted in the uncompressed stream.
    """
    name = os.fspath(path)
    kind = compression_kind(_options_of(options))
    stream = _open_stream(name, kind)
    offset = 0
    try:
        while True:
            try:
                header = stream.read(_HEADER.size)
            except (OSError, EOFError, zlib.error) as e:
                raise DataLossError(
                    None, None, f"corrupted compressed stream at {offset} in {name}: {e}"
                ) from None
            if not header:
                return
            if len(header) != _HEADER.size:
                raise DataLossError(None, None, f"truncated record at {offset} in {name}")
            length, length_crc = _HEADER.unpack(header)
            if mask(crc32c(header[:8])) != length_crc or length > MAX_RECORD_BYTES:
                raise DataLossError(None, None, f"corrupted record at {offset} in {name}")
            body = _read_exact(stream, length + _FOOTER.size, name, offset)
            record = body[:length]
            if mask(crc32c(record)) != _FOOTER.unpack_from(body, length)[0]:
                raise DataLossError(None, None, f"corrupted record at {offset} in {name}")
            yield record
            offset += _HEADER.size + length + _FOOTER.size
    finally:
        stream.close()


def tf_record_iterator(path: str | os.PathLike[str], options: Any = None) -> Iterator[bytes]:
    """``tf.compat.v1.io.tf_record_iterator``: yields each record of ``path`` as bytes.

    Raises:
        NotFoundError / DataLossError: as :func:`read_records`.
    """
    return read_records(path, options)


def write_records(path: str | os.PathLike[str], records: Any, options: Any = None) -> None:
    """Writes every record of the iterable ``records`` to a new TFRecord file."""
    with TFRecordWriter(path, options) as writer:
        for record in records:
            writer.write(record)
