"""The TF1 API surface (``tf.*`` as ``tf.compat.v1`` spells it), built from stowflow parts.

``import stowflow as tf`` and ``python -m stowflow.tf1`` both expose these names.
"""

from __future__ import annotations

import logging as _logging
import types as _types
from typing import Any

from stowflow import checkpoint as _ckpt
from stowflow import data as _data
from stowflow import dtypes as _dtypes
from stowflow import (  # noqa: F401 - tf.errors, tf.estimator, tf.layers, ... as TF names them
    errors,
    estimator,
    feature_column,
    gfile,
    layers,
    losses,
    metrics,
    saved_model,
)
from stowflow import monitored as _monitored
from stowflow import tfrecord as _tfrecord
from stowflow.dtypes import (  # noqa: F401 - re-exported TF names
    DType,
    as_dtype,
    bfloat16,
    bool,
    complex64,
    complex128,
    double,
    float16,
    float32,
    float64,
    half,
    int8,
    int16,
    int32,
    int64,
    qint8,
    qint16,
    qint32,
    quint8,
    quint16,
    resource,
    string,
    uint8,
    uint16,
    uint32,
    uint64,
    variant,
)
from stowflow.graph import array_ops as _array
from stowflow.graph import clip_ops as _clip
from stowflow.graph import control_flow_ops as _control_flow
from stowflow.graph import extra_ops as _extra
from stowflow.graph import gradients as _gradients
from stowflow.graph import graph_util
from stowflow.graph import indexed_slices as _indexed_slices
from stowflow.graph import initializers as _init
from stowflow.graph import math_ops as _math
from stowflow.graph import nn_ops as _nn
from stowflow.graph import parsing_ops as _parsing
from stowflow.graph import partitioned as _partitioned
from stowflow.graph import sparse_ops as _sparse_ops
from stowflow.graph import string_ops as _string_ops
from stowflow.graph import variables as _vars
from stowflow.graph import xent_ops as _xent
from stowflow.graph.builder import constant, convert_to_tensor  # noqa: F401
from stowflow.graph.core import (  # noqa: F401
    Graph,
    GraphKeys,
    Operation,
    Tensor,
    get_default_graph,
    name_scope,
    reset_default_graph,
)
from stowflow.graph.graph_io import write_graph
from stowflow.graph.importer import import_graph_def  # noqa: F401
from stowflow.graph.session import InteractiveSession, Session, get_default_session  # noqa: F401
from stowflow.graph.shape import Dimension, TensorShape, dimension_value  # noqa: F401
from stowflow.graph.sparse import SparseTensor, SparseTensorValue  # noqa: F401
from stowflow.layers import regularizers as _regularizers
from stowflow.proto import feature_pb2 as _feature_pb2
from stowflow.proto.attr_value_pb2 import AttrValue, NameAttrList  # noqa: F401
from stowflow.proto.event_pb2 import Event, LogMessage, SessionLog, TaggedRunMetadata  # noqa: F401
from stowflow.proto.example_pb2 import Example, SequenceExample  # noqa: F401
from stowflow.proto.graph_pb2 import GraphDef  # noqa: F401
from stowflow.proto.meta_graph_pb2 import MetaGraphDef  # noqa: F401
from stowflow.proto.node_def_pb2 import NodeDef  # noqa: F401
from stowflow.proto.saver_pb2 import SaverDef  # noqa: F401
from stowflow.proto.summary_pb2 import (  # noqa: F401
    HistogramProto,
    Summary,
    SummaryDescription,
    SummaryMetadata,
)
from stowflow.proto.tensor_pb2 import TensorProto  # noqa: F401
from stowflow.summary import ops as _summary_ops
from stowflow.summary import writer as _summary_writer
from stowflow.tensors import make_ndarray, make_tensor_proto  # noqa: F401
from stowflow.training import adaptive_optimizers as _adaptive
from stowflow.training import learning_rate_decay as _lr_decay
from stowflow.training import meta_graph as _meta_graph
from stowflow.training import moving_averages as _ema
from stowflow.training import optimizer as _optimizer
from stowflow.training import saver as _saver

__version__ = "2.21.0"
VERSION = __version__
GRAPH_DEF_VERSION = 2474


def _module(name: str, **members: Any) -> _types.ModuleType:
    module = _types.ModuleType(name)
    module.__dict__.update(members)
    return module


# -- core ops -------------------------------------------------------------------------------------
placeholder = _array.placeholder
placeholder_with_default = _array.placeholder_with_default
identity = _array.identity
stop_gradient = _array.stop_gradient
no_op = _array.no_op
group = _array.group
reshape = _array.reshape
shape = _array.shape
size = _array.size
rank = _array.rank
zeros = _array.zeros
ones = _array.ones
fill = _array.fill
zeros_like = _array.zeros_like
ones_like = _array.ones_like
concat = _array.concat
stack = _array.stack
unstack = _array.unstack
transpose = _array.transpose
expand_dims = _array.expand_dims
squeeze = _array.squeeze
slice = _array.slice  # noqa: A001
gather = _array.gather
tile = _array.tile
range = _array.range  # noqa: A001
where = _array.where
where_v2 = _array.where_v2

add = _math.add
subtract = _math.subtract
sub = _math.subtract
multiply = _math.multiply
mul = _math.multiply
divide = _math.divide
div = _math.div
realdiv = _math.realdiv
truediv = _math.divide
floordiv = _math.floordiv
floormod = _math.floormod
mod = _math.floormod
pow = _math.pow  # noqa: A001
maximum = _math.maximum
minimum = _math.minimum
equal = _math.equal
not_equal = _math.not_equal
less = _math.less
less_equal = _math.less_equal
greater = _math.greater
greater_equal = _math.greater_equal
logical_and = _math.logical_and
logical_or = _math.logical_or
logical_not = _math.logical_not
negative = _math.negative
abs = _math.abs  # noqa: A001
square = _math.square
sqrt = _math.sqrt
rsqrt = _math.rsqrt
exp = _math.exp
log = _math.log
floor = _math.floor
sigmoid = _math.sigmoid
tanh = _math.tanh
cast = _math.cast
to_float = _math.to_float
to_double = _math.to_double
to_int32 = _math.to_int32
to_int64 = _math.to_int64
to_bfloat16 = _math.to_bfloat16
to_complex64 = _math.to_complex64
to_complex128 = _math.to_complex128
saturate_cast = _math.saturate_cast
truncatemod = _math.truncatemod
truncatediv = _math.truncatediv
matmul = _math.matmul
add_n = _math.add_n
reduce_sum = _math.reduce_sum
reduce_mean = _math.reduce_mean
reduce_max = _math.reduce_max
reduce_min = _math.reduce_min
reduce_prod = _math.reduce_prod
argmax = _math.argmax
argmin = _math.argmin

# -- more math and array ops (stowflow.graph.extra_ops) ---------------------------------------
split = _extra.split
reverse = _extra.reverse
gather_nd = _extra.gather_nd
scatter_nd = _extra.scatter_nd
tensor_scatter_update = _extra.tensor_scatter_update
tensor_scatter_add = _extra.tensor_scatter_add
unique = _extra.unique
roll = _extra.roll
one_hot = _extra.one_hot
einsum = _extra.einsum
cumsum = _extra.cumsum
cumprod = _extra.cumprod
clip_by_value = _extra.clip_by_value
squared_difference = _extra.squared_difference
reciprocal = _extra.reciprocal
sign = _extra.sign
ceil = _extra.ceil
sin = _extra.sin
cos = _extra.cos
is_nan = _extra.is_nan
is_finite = _extra.is_finite
div_no_nan = _extra.div_no_nan
reduce_all = _extra.reduce_all
reduce_any = _extra.reduce_any
unsorted_segment_sum = _extra.unsorted_segment_sum
unsorted_segment_max = _extra.unsorted_segment_max
segment_sum = _extra.segment_sum
matrix_band_part = _extra.matrix_band_part
shape_n = _extra.shape_n
broadcast_dynamic_shape = _extra.broadcast_dynamic_shape
ensure_shape = _extra.ensure_shape
check_numerics = _extra.check_numerics
round = _extra.round  # noqa: A001 - TF's name
reverse_v2 = _extra.reverse

# -- gradients (stowflow.graph.gradients) ------------------------------------------------------
gradients = _gradients.gradients
cond = _control_flow.cond
while_loop = _control_flow.while_loop
case = _control_flow.case
RegisterGradient = _gradients.register_gradient
NotDifferentiable = no_gradient = _gradients.not_differentiable
IndexedSlices = _indexed_slices.IndexedSlices
clip_by_norm = _clip.clip_by_norm
clip_by_global_norm = _clip.clip_by_global_norm
global_norm = _clip.global_norm

# -- string ops (stowflow.graph.string_ops) ---------------------------------------------------
string_split = _string_ops.string_split
substr = _string_ops.substr
regex_replace = _string_ops.regex_replace
as_string = _string_ops.as_string
string_to_number = _string_ops.string_to_number
string_to_hash_bucket_fast = _string_ops.to_hash_bucket_fast
string_to_hash_bucket_strong = _string_ops.to_hash_bucket_strong
string_to_hash_bucket = _string_ops.to_hash_bucket
reduce_join = _string_ops.reduce_join
string_join = _string_ops.join

fixed_size_partitioner = _partitioned.fixed_size_partitioner

# -- variables ------------------------------------------------------------------------------------
Variable = _vars.Variable
VariableScope = _vars.VariableScope
AUTO_REUSE = _vars.AUTO_REUSE
get_variable = _vars.get_variable
variable_scope = _vars.variable_scope
get_variable_scope = _vars.get_variable_scope
assign = _vars.assign
assign_add = _vars.assign_add
assign_sub = _vars.assign_sub
global_variables = _vars.global_variables
all_variables = _vars.all_variables
trainable_variables = _vars.trainable_variables
enable_resource_variables = _vars.enable_resource_variables
disable_resource_variables = _vars.disable_resource_variables
resource_variables_enabled = _vars.resource_variables_enabled
local_variables = _vars.local_variables
moving_average_variables = _vars.moving_average_variables
global_variables_initializer = _vars.global_variables_initializer
local_variables_initializer = _vars.local_variables_initializer
initialize_all_variables = _vars.initialize_all_variables
variables_initializer = _vars.variables_initializer
is_variable_initialized = _vars.is_variable_initialized
report_uninitialized_variables = _vars.report_uninitialized_variables

zeros_initializer = _init.zeros_initializer
ones_initializer = _init.ones_initializer
constant_initializer = _init.constant_initializer
random_uniform_initializer = _init.random_uniform_initializer
random_normal_initializer = _init.random_normal_initializer
truncated_normal_initializer = _init.truncated_normal_initializer
variance_scaling_initializer = _init.variance_scaling_initializer
glorot_uniform_initializer = _init.glorot_uniform_initializer
glorot_normal_initializer = _init.glorot_normal_initializer
random_uniform = _init.random_uniform
random_normal = _init.random_normal
truncated_normal = _init.truncated_normal
initializers = _module(
    "initializers",
    zeros=_init.Zeros,
    ones=_init.Ones,
    constant=_init.Constant,
    random_uniform=_init.RandomUniform,
    random_normal=_init.RandomNormal,
    truncated_normal=_init.TruncatedNormal,
    variance_scaling=_init.VarianceScaling,
    glorot_uniform=_init.GlorotUniform,
    glorot_normal=_init.GlorotNormal,
    global_variables=global_variables_initializer,
    local_variables=local_variables_initializer,
    variables=variables_initializer,
)


def get_seed(op_seed: Any) -> tuple[int, int]:
    """``tf.get_seed``."""
    return _init.get_seed(op_seed)


def set_random_seed(seed: int) -> None:
    """Sets the default graph's random seed (``tf.set_random_seed``)."""
    get_default_graph().seed = seed


def control_dependencies(control_inputs: Any) -> Any:
    """``tf.control_dependencies`` on the default graph."""
    return get_default_graph().control_dependencies(control_inputs)


def device(device_name: Any) -> Any:
    """``tf.device`` on the default graph."""
    return get_default_graph().device(device_name)


def colocate_with(op: Any, ignore_existing: bool = False) -> Any:
    """``tf.colocate_with`` on the default graph."""
    return get_default_graph().colocate_with(op, ignore_existing)


def add_to_collection(name: str, value: Any) -> None:
    """``tf.add_to_collection``."""
    get_default_graph().add_to_collection(name, value)


def add_to_collections(names: Any, value: Any) -> None:
    """``tf.add_to_collections``."""
    get_default_graph().add_to_collections(names, value)


def get_collection(key: str, scope: str | None = None) -> list[Any]:
    """``tf.get_collection``."""
    return get_default_graph().get_collection(key, scope)


def get_collection_ref(key: str) -> list[Any]:
    """``tf.get_collection_ref``."""
    return get_default_graph().get_collection_ref(key)


def disable_v2_behavior() -> None:
    """No-op: stowflow always behaves as TF1 graph mode."""


def disable_eager_execution() -> None:
    """No-op: stowflow always runs graphs."""


def enable_eager_execution(*_: Any, **__: Any) -> None:
    """Unsupported in stowflow (graph mode only).

    Raises:
        NotImplementedError: always.
    """
    raise NotImplementedError("stowflow runs TF1 graph mode only; eager execution is absent")


def executing_eagerly() -> bool:
    """Always False."""
    return False


class ConfigProto:
    """Accepted for compatibility; session options are ignored."""

    def __init__(self, **kwargs: Any) -> None:
        self.__dict__.update(kwargs)
        self.gpu_options = GPUOptions()


class GPUOptions:
    """Accepted for compatibility; there are no GPUs."""

    def __init__(self, **kwargs: Any) -> None:
        self.allow_growth = False
        self.__dict__.update(kwargs)


class RunOptions:
    """Accepted for compatibility."""

    FULL_TRACE = 3
    NO_TRACE = 0

    def __init__(self, **kwargs: Any) -> None:
        self.__dict__.update(kwargs)


class RunMetadata:
    """Accepted for compatibility."""


# -- namespaces -----------------------------------------------------------------------------------
nn = _module(
    "nn",
    relu=_math.relu,
    relu6=_math.relu6,
    elu=_math.elu,
    sigmoid=_math.sigmoid,
    tanh=_math.tanh,
    softmax=_math.softmax,
    log_softmax=_math.log_softmax,
    bias_add=_math.bias_add,
    softplus=_extra.softplus,
    softmax_cross_entropy_with_logits_v2=_xent.softmax_cross_entropy_with_logits_v2,
    softmax_cross_entropy_with_logits=_xent.softmax_cross_entropy_with_logits,
    sigmoid_cross_entropy_with_logits=_xent.sigmoid_cross_entropy_with_logits,
    weighted_cross_entropy_with_logits=_xent.weighted_cross_entropy_with_logits,
    sparse_softmax_cross_entropy_with_logits=_xent.sparse_softmax_cross_entropy_with_logits,
    leaky_relu=_extra.leaky_relu,
    selu=_extra.selu,
    l2_loss=_extra.l2_loss,
    top_k=_extra.top_k,
    in_top_k=_extra.in_top_k,
    conv2d=_nn.conv2d,
    depthwise_conv2d=_nn.depthwise_conv2d,
    conv2d_transpose=_nn.conv2d_transpose,
    conv3d=_nn.conv3d,
    max_pool=_nn.max_pool,
    avg_pool=_nn.avg_pool,
    fused_batch_norm=_nn.fused_batch_norm,
    embedding_lookup=_nn.embedding_lookup,
    moments=_nn.moments,
    weighted_moments=_nn.weighted_moments,
    normalize_moments=_nn.normalize_moments,
    batch_normalization=_nn.batch_normalization,
    l2_normalize=_nn.l2_normalize,
    dropout=_nn.dropout,
    conv1d=_nn.conv1d,
    separable_conv2d=_nn.separable_conv2d,
    max_pool1d=_nn.max_pool1d,
    avg_pool1d=_nn.avg_pool1d,
)
pad = _nn.pad
image = _module(
    "image",
    resize_bilinear=_nn.resize_bilinear,
    resize_nearest_neighbor=_nn.resize_nearest_neighbor,
)
math = _module(
    "math",
    add=add,
    subtract=subtract,
    multiply=multiply,
    divide=divide,
    maximum=maximum,
    minimum=minimum,
    equal=equal,
    not_equal=not_equal,
    less=less,
    less_equal=less_equal,
    greater=greater,
    greater_equal=greater_equal,
    logical_and=logical_and,
    logical_or=logical_or,
    logical_not=logical_not,
    negative=negative,
    abs=abs,
    square=square,
    sqrt=sqrt,
    rsqrt=rsqrt,
    exp=exp,
    log=log,
    floor=floor,
    sigmoid=sigmoid,
    tanh=tanh,
    reduce_sum=reduce_sum,
    reduce_mean=reduce_mean,
    reduce_max=reduce_max,
    reduce_min=reduce_min,
    reduce_prod=reduce_prod,
    argmax=argmax,
    argmin=argmin,
    add_n=add_n,
    pow=pow,
    floordiv=floordiv,
    floormod=floormod,
    truediv=divide,
    realdiv=realdiv,
    squared_difference=_extra.squared_difference,
    softplus=_extra.softplus,
    reciprocal=_extra.reciprocal,
    sign=_extra.sign,
    round=_extra.round,
    ceil=_extra.ceil,
    sin=_extra.sin,
    cos=_extra.cos,
    is_nan=_extra.is_nan,
    is_finite=_extra.is_finite,
    divide_no_nan=_extra.div_no_nan,
    reduce_all=_extra.reduce_all,
    reduce_any=_extra.reduce_any,
    cumsum=_extra.cumsum,
    cumprod=_extra.cumprod,
    top_k=_extra.top_k,
    in_top_k=_extra.in_top_k,
    unsorted_segment_sum=_extra.unsorted_segment_sum,
    unsorted_segment_max=_extra.unsorted_segment_max,
    segment_sum=_extra.segment_sum,
)
linalg = _module("linalg", band_part=_extra.matrix_band_part, einsum=_extra.einsum)
strings = _module("strings", **_string_ops.STRINGS)
train = _module(
    "train",
    Saver=_saver.Saver,
    Optimizer=_optimizer.Optimizer,
    GradientDescentOptimizer=_optimizer.GradientDescentOptimizer,
    MomentumOptimizer=_optimizer.MomentumOptimizer,
    AdamOptimizer=_optimizer.AdamOptimizer,
    AdagradOptimizer=_adaptive.AdagradOptimizer,
    RMSPropOptimizer=_adaptive.RMSPropOptimizer,
    AdadeltaOptimizer=_adaptive.AdadeltaOptimizer,
    FtrlOptimizer=_adaptive.FtrlOptimizer,
    ProximalAdagradOptimizer=_adaptive.ProximalAdagradOptimizer,
    get_or_create_global_step=_optimizer.get_or_create_global_step,
    get_global_step=_optimizer.get_global_step,
    create_global_step=_optimizer.create_global_step,
    assert_global_step=_optimizer.assert_global_step,
    global_step=_optimizer.global_step,
    **{name: getattr(_lr_decay, name) for name in _lr_decay.__all__},
    import_meta_graph=_meta_graph.import_meta_graph,
    export_meta_graph=_saver.export_meta_graph,
    latest_checkpoint=_ckpt.latest_checkpoint,
    get_checkpoint_state=_ckpt.get_checkpoint_state,
    update_checkpoint_state=_ckpt.update_checkpoint_state,
    checkpoint_exists=_ckpt.checkpoint_exists,
    NewCheckpointReader=_ckpt.new_checkpoint_reader,
    load_checkpoint=_ckpt.CheckpointReader,
    list_variables=_ckpt.list_variables,
    load_variable=lambda ckpt_dir_or_file, name: _ckpt.CheckpointReader(
        ckpt_dir_or_file
    ).get_tensor(name[:-2] if name.endswith(":0") else name),
    ExponentialMovingAverage=_ema.ExponentialMovingAverage,
    SaverDef=SaverDef,
)
summary = _module(
    "summary",
    scalar=_summary_ops.scalar,
    histogram=_summary_ops.histogram,
    image=_summary_ops.image,
    text=_summary_ops.text,
    tensor_summary=_summary_ops.tensor_summary,
    merge=_summary_ops.merge,
    merge_all=_summary_ops.merge_all,
    FileWriter=_summary_writer.FileWriter,
    FileWriterCache=_summary_writer.FileWriterCache,
    Summary=Summary,
    SummaryDescription=SummaryDescription,
    Event=Event,
    SessionLog=SessionLog,
    TaggedRunMetadata=TaggedRunMetadata,
)
train.__dict__["summary_iterator"] = _summary_writer.summary_iterator
train.__dict__.update({name: getattr(_monitored, name) for name in _monitored.__all__})
tables_initializer = _monitored.tables_initializer
errors_module = errors
graph_util_module = graph_util
dtypes = _dtypes
logging = _module(
    "logging",
    DEBUG=10,
    INFO=20,
    WARN=30,
    WARNING=30,
    ERROR=40,
    FATAL=50,
    set_verbosity=lambda level: _logging.getLogger("tensorflow").setLevel(level),
    get_verbosity=lambda: _logging.getLogger("tensorflow").getEffectiveLevel(),
    info=_logging.getLogger("tensorflow").info,
    warning=_logging.getLogger("tensorflow").warning,
    warn=_logging.getLogger("tensorflow").warning,
    error=_logging.getLogger("tensorflow").error,
    debug=_logging.getLogger("tensorflow").debug,
)


io = _module("io", gfile=gfile, write_graph=write_graph)
train.__dict__["write_graph"] = write_graph
train.__dict__["warm_start"] = estimator.warm_starting.warm_start

# -- tf.train.Example, Example parsing, tf.estimator.export -----------------------------------------
FixedLenFeature = _parsing.FixedLenFeature
FixedLenSequenceFeature = _parsing.FixedLenSequenceFeature
VarLenFeature = _parsing.VarLenFeature
parse_example = _parsing.parse_example
parse_single_example = _parsing.parse_single_example
train.__dict__.update(
    Example=Example,
    SequenceExample=SequenceExample,
    Features=_feature_pb2.Features,
    Feature=_feature_pb2.Feature,
    FeatureList=_feature_pb2.FeatureList,
    FeatureLists=_feature_pb2.FeatureLists,
    BytesList=_feature_pb2.BytesList,
    FloatList=_feature_pb2.FloatList,
    Int64List=_feature_pb2.Int64List,
)
io.__dict__.update(
    FixedLenFeature=FixedLenFeature,
    FixedLenSequenceFeature=FixedLenSequenceFeature,
    VarLenFeature=VarLenFeature,
    parse_example=parse_example,
    parse_single_example=parse_single_example,
)
sparse = _module("sparse", SparseTensor=SparseTensor)
# -- TF1 API extras (stowflow.graph.extra_ops / array_ops / sparse_ops) ------------------------

log1p = _extra.log1p
erf = _extra.erf
erfc = _extra.erfc
expm1 = _extra.expm1
log_sigmoid = _extra.log_sigmoid
tan = _extra.tan
sinh = _extra.sinh
cosh = _extra.cosh
asin = _extra.asin
acos = _extra.acos
atan = _extra.atan
atan2 = _extra.atan2
is_inf = _extra.is_inf
logical_xor = _extra.logical_xor
count_nonzero = _extra.count_nonzero
reduce_logsumexp = _extra.reduce_logsumexp
norm = _extra.norm
matrix_inverse = _extra.matrix_inverse
random_shuffle = _extra.random_shuffle
multinomial = _extra.multinomial
matrix_transpose = _array.matrix_transpose
matrix_diag = _array.matrix_diag
matrix_diag_part = _array.matrix_diag_part
sequence_mask = _array.sequence_mask
boolean_mask = _array.boolean_mask
meshgrid = _array.meshgrid
broadcast_to = _array.broadcast_to
sparse_tensor_to_dense = _sparse_ops.sparse_tensor_to_dense
sparse_reshape = _sparse_ops.sparse_reshape
sparse_fill_empty_rows = _sparse_ops.sparse_fill_empty_rows
sparse_retain = _sparse_ops.sparse_retain
sparse_reduce_sum = _sparse_ops.sparse_reduce_sum
sparse_placeholder = _sparse_ops.sparse_placeholder
sparse_to_dense = _sparse_ops.sparse_to_dense
Assert = _extra.Assert
_ASSERTS = {name: getattr(_extra, name) for name in _extra.__dict__ if name.startswith("assert_")}
globals().update(_ASSERTS)
debugging = _module("debugging", Assert=Assert, check_numerics=check_numerics, **_ASSERTS)
_MATH_EXTRA = (
    "log1p erf erfc expm1 log_sigmoid tan sinh cosh asin acos atan atan2 is_inf logical_xor "
    "count_nonzero reduce_logsumexp softsign reduce_variance reduce_std"
)
math.__dict__.update({name: getattr(_extra, name) for name in _MATH_EXTRA.split()})
math.__dict__["l2_normalize"] = _nn.l2_normalize
nn.__dict__.update(
    softsign=_extra.softsign,
    crelu=_extra.crelu,
    xw_plus_b=_extra.xw_plus_b,
)
linalg.__dict__.update(
    matmul=matmul,
    transpose=_array.matrix_transpose,
    matrix_transpose=_array.matrix_transpose,
    diag=_array.matrix_diag,
    diag_part=_array.matrix_diag_part,
    inv=_extra.matrix_inverse,
    norm=_extra.norm,
)
sparse.__dict__.update(
    to_dense=_sparse_ops.sparse_tensor_to_dense,
    reshape=_sparse_ops.sparse_reshape,
    fill_empty_rows=_sparse_ops.sparse_fill_empty_rows,
    retain=_sparse_ops.sparse_retain,
    reduce_sum=_sparse_ops.sparse_reduce_sum,
    from_dense=_sparse_ops.from_dense,
    placeholder=_sparse_ops.sparse_placeholder,
)
random = _module(  # noqa: A001 - TF's name
    "random",
    uniform=random_uniform,
    normal=random_normal,
    truncated_normal=truncated_normal,
    shuffle=_extra.random_shuffle,
    categorical=_extra.categorical,
    multinomial=_extra.multinomial,
    set_random_seed=set_random_seed,
    get_seed=get_seed,
)
data = _module(
    "data",
    Dataset=_data.Dataset,
    TFRecordDataset=_data.TFRecordDataset,
    TextLineDataset=_data.TextLineDataset,
    Iterator=_data.Iterator,
    make_one_shot_iterator=_data.make_one_shot_iterator,
    make_initializable_iterator=_data.make_initializable_iterator,
    get_output_types=_data.get_output_types,
    get_output_shapes=_data.get_output_shapes,
    get_output_classes=_data.get_output_classes,
    experimental=_module("experimental", AUTOTUNE=_data.AUTOTUNE),
)
_records = {
    "TFRecordWriter": _tfrecord.TFRecordWriter,
    "TFRecordOptions": _tfrecord.TFRecordOptions,
    "TFRecordCompressionType": _tfrecord.TFRecordCompressionType,
    "tf_record_iterator": _tfrecord.tf_record_iterator,
}
python_io = _module("python_io", **_records)
SparseFeature = _parsing.SparseFeature
RaggedTensor = _parsing.RaggedTensor
io.__dict__.update(**_records, SparseFeature=SparseFeature, RaggedFeature=_parsing.RaggedFeature)
# TF1 code's regularizers: tf.contrib.layers.* (gone with contrib) and tf.keras.regularizers.*
contrib = _module(
    "contrib",
    layers=_module(
        "layers",
        l1_regularizer=_regularizers.l1_regularizer,
        l2_regularizer=_regularizers.l2_regularizer,
        l1_l2_regularizer=_regularizers.l1_l2_regularizer,
        sum_regularizer=_regularizers.sum_regularizer,
        apply_regularization=_regularizers.apply_regularization,
    ),
)
keras = _module(
    "keras",
    regularizers=_module(
        "regularizers",
        l1=_regularizers.l1,
        l2=_regularizers.l2,
        l1_l2=_regularizers.l1_l2,
        L1=_regularizers.L1,
        L2=_regularizers.L2,
        L1L2=_regularizers.L1L2,
    ),
)
