"""Gradients of neural-network ops (TF's ``nn_grad.py``)."""

from __future__ import annotations

from typing import Any

from stowflow.graph import grad_ops as g
from stowflow.graph.core import Operation, Tensor
from stowflow.graph.gradients import register_gradient


@register_gradient("BiasAdd")
def _bias_add_grad(op: Operation, grad: Tensor) -> Any:
    fmt = op.get_attr("data_format") if "data_format" in op._attrs else None
    attrs = None if fmt is None else {"data_format": fmt}
    return grad, g.op("BiasAddGrad", {"out_backprop": grad}, attrs)


@register_gradient("Relu")
def _relu_grad(op: Operation, grad: Tensor) -> Any:
    return g.op("ReluGrad", {"gradients": grad, "features": op.outputs[0]})


@register_gradient("Softmax")
def _softmax_grad(op: Operation, grad: Tensor) -> Any:
    softmax = op.outputs[0]
    channels = g.reduce_sum(g.mul(grad, softmax, name="mul"), -1, keepdims=True)
    return g.mul(g.binary("Sub", grad, channels, "sub"), softmax, name="mul")


def _broadcast_mul(vec: Tensor, mat: Tensor) -> Tensor:
    """``vec[:, None] * mat`` as TF's ``_BroadcastMul`` builds it."""
    return g.mul(g.expand_dims(vec, -1), mat, name="mul")


def _xent_logits_grad(op: Operation, grad_loss: Tensor, grad_grad: Any) -> Tensor:
    grad = _broadcast_mul(grad_loss, op.outputs[1])
    if grad_grad is not None and not g.is_zeros(grad_grad):
        raise NotImplementedError(
            f"second-order gradient through {op.type} '{op.name}' is not supported"
        )
    return grad


@register_gradient("SoftmaxCrossEntropyWithLogits")
def _softmax_xent_grad(op: Operation, grad_loss: Tensor, grad_grad: Any) -> Any:
    grad = _xent_logits_grad(op, grad_loss, grad_grad)
    log_softmax = g.op("LogSoftmax", {"logits": op.inputs[0]})
    return grad, _broadcast_mul(grad_loss, g.neg(log_softmax))


@register_gradient("SparseSoftmaxCrossEntropyWithLogits")
def _sparse_softmax_xent_grad(op: Operation, grad_loss: Tensor, grad_grad: Any) -> Any:
    return _xent_logits_grad(op, grad_loss, grad_grad), None


# ----------------------------------------------------------------------------- activations


def _unit_grad(grad_type: str, use_output: bool) -> Any:
    """``gen_nn_ops.<grad_type>(grad, y or x)`` for an element-wise activation."""

    def fn(op: Operation, grad: Tensor) -> Any:
        features = op.outputs[0] if use_output else op.inputs[0]
        attrs = {"alpha": op.get_attr("alpha")} if grad_type == "LeakyReluGrad" else None
        return g.op(grad_type, {"gradients": grad, "features": features}, attrs)

    return fn


register_gradient("Relu6")(_unit_grad("Relu6Grad", True))
register_gradient("LeakyRelu")(_unit_grad("LeakyReluGrad", False))


@register_gradient("Elu")
def _elu_grad(op: Operation, grad: Tensor) -> Any:
    return g.op("EluGrad", {"gradients": grad, "outputs": op.outputs[0]})


@register_gradient("Selu")
def _selu_grad(op: Operation, grad: Tensor) -> Any:
    return g.op("SeluGrad", {"gradients": grad, "outputs": op.outputs[0]})


@register_gradient("Softplus")
def _softplus_grad(op: Operation, grad: Tensor) -> Any:
    return g.mul(grad, g.unary("Sigmoid", op.inputs[0]), name="mul")


@register_gradient("LogSoftmax")
def _log_softmax_grad(op: Operation, grad: Tensor) -> Any:
    softmax = g.unary("Exp", op.outputs[0])
    total = g.reduce_sum(grad, -1, keepdims=True)
    return g.binary("Sub", grad, g.mul(total, softmax, name="mul"), "sub")


@register_gradient("L2Loss")
def _l2_loss_grad(op: Operation, grad: Tensor) -> Any:
    return g.mul(op.inputs[0], grad, name="mul")


# ----------------------------------------------------------------------------- conv / pool


def _copy_attrs(op: Operation, names: tuple[str, ...]) -> dict[str, Any]:
    return {n: op.get_attr(n) for n in names if n in op._attrs}


_CONV_ATTRS = (
    "strides",
    "use_cudnn_on_gpu",
    "padding",
    "explicit_paddings",
    "data_format",
    "dilations",
)


@register_gradient("Conv2D")
def _conv2d_grad(op: Operation, grad: Tensor) -> Any:
    attrs = _copy_attrs(op, _CONV_ATTRS)
    shape_0, shape_1 = g.shape_n([op.inputs[0], op.inputs[1]])
    dx = g.op(
        "Conv2DBackpropInput",
        {"input_sizes": shape_0, "filter": op.inputs[1], "out_backprop": grad},
        attrs,
    )
    dw = g.op(
        "Conv2DBackpropFilter",
        {"input": op.inputs[0], "filter_sizes": shape_1, "out_backprop": grad},
        attrs,
    )
    return dx, dw


@register_gradient("Conv2DBackpropInput")
def _conv2d_backprop_input_grad(op: Operation, grad: Tensor) -> Any:
    attrs = _copy_attrs(op, _CONV_ATTRS)
    dw = g.op(
        "Conv2DBackpropFilter",
        {"input": grad, "filter_sizes": g.shape(op.inputs[1]), "out_backprop": op.inputs[2]},
        attrs,
    )
    dy = g.op("Conv2D", {"input": grad, "filter": op.inputs[1]}, attrs)
    return None, dw, dy


@register_gradient("Conv2DBackpropFilter")
def _conv2d_backprop_filter_grad(op: Operation, grad: Tensor) -> Any:
    attrs = _copy_attrs(op, _CONV_ATTRS)
    dx = g.op(
        "Conv2DBackpropInput",
        {"input_sizes": g.shape(op.inputs[0]), "filter": grad, "out_backprop": op.inputs[2]},
        attrs,
    )
    dy = g.op("Conv2D", {"input": op.inputs[0], "filter": grad}, attrs)
    return dx, None, dy


_DEPTHWISE_ATTRS = ("strides", "padding", "explicit_paddings", "data_format", "dilations")


@register_gradient("DepthwiseConv2dNative")
def _depthwise_grad(op: Operation, grad: Tensor) -> Any:
    attrs = _copy_attrs(op, _DEPTHWISE_ATTRS)
    dx = g.op(
        "DepthwiseConv2dNativeBackpropInput",
        {"input_sizes": g.shape(op.inputs[0]), "filter": op.inputs[1], "out_backprop": grad},
        attrs,
    )
    dw = g.op(
        "DepthwiseConv2dNativeBackpropFilter",
        {"input": op.inputs[0], "filter_sizes": g.shape(op.inputs[1]), "out_backprop": grad},
        attrs,
    )
    return dx, dw


_POOL_ATTRS = ("ksize", "strides", "padding", "explicit_paddings", "data_format")


@register_gradient("MaxPool")
def _max_pool_grad(op: Operation, grad: Tensor) -> Any:
    inputs = {"orig_input": op.inputs[0], "orig_output": op.outputs[0], "grad": grad}
    return g.op("MaxPoolGrad", inputs, _copy_attrs(op, _POOL_ATTRS))


@register_gradient("AvgPool")
def _avg_pool_grad(op: Operation, grad: Tensor) -> Any:
    inputs = {"orig_input_shape": g.shape(op.inputs[0]), "grad": grad}
    return g.op("AvgPoolGrad", inputs, _copy_attrs(op, _POOL_ATTRS))


# ----------------------------------------------------------------------------- batch norm


_FUSED_BN_GRAD = {
    "FusedBatchNorm": "FusedBatchNormGrad",
    "FusedBatchNormV2": "FusedBatchNormGradV2",
    "FusedBatchNormV3": "FusedBatchNormGradV3",
}


@register_gradient(*_FUSED_BN_GRAD)
def _fused_batch_norm_grad(op: Operation, *grads: Any) -> Any:
    fmt = op.get_attr("data_format")
    fmt = fmt.decode() if isinstance(fmt, bytes) else fmt
    training = bool(op.get_attr("is_training"))
    if not training and fmt not in ("NHWC", "NDHWC"):
        raise NotImplementedError(
            f"gradient of inference-mode {op.type} '{op.name}' in {fmt} is not supported"
        )
    stats = (op.outputs[3], op.outputs[4]) if training else (op.inputs[3], op.inputs[4])
    inputs = {
        "y_backprop": grads[0],
        "x": op.inputs[0],
        "scale": op.inputs[1],
        "reserve_space_1": stats[0],
        "reserve_space_2": stats[1],
    }
    if op.type == "FusedBatchNormV3":
        inputs["reserve_space_3"] = op.outputs[5]
    attrs = {"epsilon": op.get_attr("epsilon"), "data_format": fmt, "is_training": training}
    dx, dscale, doffset = g.op(_FUSED_BN_GRAD[op.type], inputs, attrs).op.outputs[:3]
    return dx, dscale, doffset, None, None
