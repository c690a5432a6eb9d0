"""``import_graph_def``: adds the nodes of a GraphDef to the current graph, as TF's importer.

TF's contract (``tensorflow/core/common_runtime/graph_constructor.cc`` and
``importer.py``), message for message: node names must be valid and unique; every input
must name a node of the GraphDef (or be remapped by ``input_map``); each NodeDef is
checked against its OpDef (missing attrs, attr types and allowed values, the number and
dtypes of inputs, output indices); nodes are created in topological order (a loop's
``NextIteration -> Merge`` back edge is the one cycle allowed) and their shape functions
run, so imported tensors keep their static shapes; names that already exist in the graph
are made unique (``x_1``) with every reference rewritten; ``input_map`` keys that match
nothing are an error. Invalid GraphDefs raise ``ValueError`` before anything is added.
"""

from __future__ import annotations

import heapq
import re
from typing import Any

from stowflow import dtypes
from stowflow.errors import NotFoundError
from stowflow.graph import attrs as attr_codec
from stowflow.graph import builder, op_defs
from stowflow.graph.core import Graph, Operation, Tensor, get_default_graph
from stowflow.graph.kernels.registry import SHAPE_FNS
from stowflow.graph.shape import TensorShape

_VALID_NODE_NAME = re.compile(r"^[A-Za-z0-9.][A-Za-z0-9_.\-/>]*$")
_MERGES = frozenset({"Merge", "RefMerge"})
_NEXT_ITERATIONS = frozenset({"NextIteration", "RefNextIteration"})
_MAX_LISTED_INPUTS = 1000  # TF lists every expected input type; beyond this, a count
#: Most outputs one imported node may have (a list attr ``N`` of 2**40 is a hostile file).
MAX_NODE_OUTPUTS = 1 << 16
# Attr types whose values the importer never decodes: a Const's value stays encoded until run.
_LAZY_KINDS = frozenset({"tensor", "list(tensor)"})


def _parse_input(name: str) -> tuple[str, int, bool]:
    if name.startswith("^"):
        return name[1:], -1, True
    op_name, sep, index = name.rpartition(":")
    if sep and index.isdigit():
        return op_name, int(index), False
    return name, 0, False


def order_nodes(nodes: list[Any]) -> list[Any]:
    """NodeDefs (of a GraphDef or a FunctionDef body) ordered so inputs come first.

    Input names may be ``x``, ``^x``, ``x:1`` or, in function bodies, ``x:out:0``; only the
    node part matters. Names that are not nodes (function arguments) are ignored.
    """
    by_name = {n.name: n for n in nodes}
    order: list[Any] = []
    seen: set[str] = set()
    for root in nodes:
        stack = [(root, False)]
        while stack:
            node, done = stack.pop()
            if done:
                order.append(node)
                continue
            if node.name in seen:
                continue
            seen.add(node.name)
            stack.append((node, True))
            for inp in reversed(node.input):
                dep = by_name.get(inp.lstrip("^").split(":")[0])
                if dep is not None and dep.name not in seen and not _is_back_edge(node, dep):
                    stack.append((dep, False))
    return order


def _is_back_edge(node: Any, dep: Any) -> bool:
    """A loop's back edge (NextIteration -> Merge): the only cycle a valid GraphDef has."""
    return node.op in _MERGES and dep.op in _NEXT_ITERATIONS


# --------------------------------------------------------------------------- NodeDef vs OpDef

_ATTR_KINDS = {
    "s": "string",
    "i": "int",
    "f": "float",
    "b": "bool",
    "type": "type",
    "shape": "shape",
    "tensor": "tensor",
    "func": "func",
}


def _attr_kind(value: Any) -> str | None:
    """The OpDef type spelling of an AttrValue (None for an empty list: any list fits)."""
    which = value.WhichOneof("value")
    if which == "list":
        for field, kind in _ATTR_KINDS.items():
            if len(getattr(value.list, field)):
                return f"list({kind})"
        return None
    return _ATTR_KINDS.get(which or "", which)


def _validate_attr(name: str, value: Any, attr_def: Any) -> str | None:
    """TF's ``ValidateAttrValue``: an error message, or None."""
    if value.WhichOneof("value") == "placeholder":
        return None
    kind = _attr_kind(value)
    want = attr_def.type
    if kind is None:
        if not want.startswith("list("):
            return f"AttrValue had value with type 'list' when '{want}' expected\n\t for attr '{name}'\n\t"
        return None
    if kind != want and not (want == "list(type)" and kind == "list(type)"):
        return f"AttrValue had value with type '{kind}' when '{want}' expected\n\t for attr '{name}'\n\t"
    if attr_def.has_minimum:
        if want == "int" and value.i < attr_def.minimum:
            return (
                f"Value for attr '{name}' of {value.i} must be at least minimum "
                f"{attr_def.minimum}\n\t"
            )
    if attr_def.HasField("allowed_values") and want in ("type", "list(type)"):
        allowed = list(attr_def.allowed_values.list.type)
        got = [value.type] if want == "type" else list(value.list.type)
        for t in got:
            if t not in allowed:
                names = ", ".join(dtypes.as_dtype(a).type_string for a in allowed)
                return (
                    f"Value for attr '{name}' of {dtypes.as_dtype(t).type_string} is not in the "
                    f"list of allowed values: {names}\n\t"
                )
    if attr_def.HasField("allowed_values") and want == "string":
        allowed_s = list(attr_def.allowed_values.list.s)
        if value.s not in allowed_s:
            names = ", ".join(f'"{a.decode()}"' for a in allowed_s)
            return (
                f"Value for attr '{name}' of \"{value.s.decode(errors='replace')}\" is not in the "
                f"list of allowed values: {names}\n\t"
            )
    return None


def validate_node_def(node: Any, op_def: Any, final_name: str) -> None:
    """Checks a NodeDef (defaults filled in) against its OpDef, with TF's messages.

    Raises:
        ValueError: for a missing attr, an attr of the wrong type or outside its allowed
            values, or a wrong number of inputs.
    """
    where = f"{{{{node {final_name}}}}}"
    summary = builder.summarize_op_def(op_def)
    data_inputs = 0
    seen_control = False
    for inp in node.input:
        if inp.startswith("^"):
            seen_control = True
        elif seen_control:
            raise ValueError(
                f"Node '{node.name}': Control dependencies must come after regular dependencies"
            )
        else:
            data_inputs += 1
    by_name = {a.name: a for a in op_def.attr}
    for key in sorted(node.attr):
        if key in by_name:
            error = _validate_attr(key, node.attr[key], by_name[key])
            if error is not None:
                raise ValueError(f"{error}; NodeDef: {where}; {summary}")
    missing = [a.name for a in op_def.attr if a.name not in node.attr]
    if missing:
        plural = "s" if len(missing) > 1 else ""
        raise ValueError(
            f"NodeDef missing attr{plural} '{', '.join(missing)}' from {summary}; NodeDef: {where}"
        )
    want = sum(_arg_count(arg, node) for arg in op_def.input_arg)
    if data_inputs != want:
        names = (
            ", ".join(t.type_string for t in _input_types(node, op_def))
            if want <= _MAX_LISTED_INPUTS
            else f"{want} inputs"
        )
        raise ValueError(
            f"NodeDef expected inputs '{names}' do not match {data_inputs} inputs specified; "
            f"{summary}; NodeDef: {where}"
        )
    outputs = sum(_arg_count(arg, node) for arg in op_def.output_arg)
    if outputs > MAX_NODE_OUTPUTS:
        raise ValueError(
            f"NodeDef asks for {outputs} outputs, more than stowflow's limit of "
            f"{MAX_NODE_OUTPUTS} per node; {summary}; NodeDef: {where}"
        )


def _arg_count(arg: Any, node: Any) -> int:
    """How many tensors an OpDef arg stands for in ``node`` (no lists built: N may be huge)."""
    if arg.type_list_attr:
        return len(node.attr[arg.type_list_attr].list.type)
    return max(int(node.attr[arg.number_attr].i), 0) if arg.number_attr else 1


def _arg_types(arg: Any, node: Any) -> list[dtypes.DType]:
    if arg.type_list_attr:
        kinds = [dtypes.as_dtype(t) for t in node.attr[arg.type_list_attr].list.type]
    else:
        single = dtypes.as_dtype(arg.type or node.attr[arg.type_attr].type)
        count = node.attr[arg.number_attr].i if arg.number_attr else 1
        kinds = [single] * int(count)
    return [k._as_ref if arg.is_ref else k for k in kinds]


def _input_types(node: Any, op_def: Any) -> list[dtypes.DType]:
    return [t for arg in op_def.input_arg for t in _arg_types(arg, node)]


def _output_count(node: Any, op_def: Any) -> int:
    return sum(_arg_count(arg, node) for arg in op_def.output_arg)


# --------------------------------------------------------------------------- the importer


def _check_input_map(input_map: Any) -> dict[str, Any]:
    if input_map is None:
        return {}
    if not isinstance(input_map, dict):
        raise TypeError(
            f"Argument `input_map` must be a dictionary. Obtained: {type(input_map).__name__}"
        )
    bad = [k for k in input_map if not isinstance(k, str)]
    if bad:
        raise TypeError(f"All keys for argument `input_map` must be strings. Obtained keys: {bad}")
    return dict(input_map)


def _check_return_elements(return_elements: Any) -> list[str] | None:
    if return_elements is None:
        return None
    names = list(return_elements)
    if not all(isinstance(x, str) for x in names):
        raise TypeError(
            f"Argument `return_elements` must be a list of strings. Obtained: {return_elements}."
        )
    return names


def _index_nodes(nodes: list[Any]) -> dict[str, int]:
    """Name -> position; TF's checks for invalid and duplicate names."""
    index: dict[str, int] = {}
    for i, node in enumerate(nodes):
        if not _VALID_NODE_NAME.match(node.name):
            raise ValueError(f"Node '{node.name}': Node name contains invalid characters")
        if node.name in index:
            raise ValueError(f"Node '{node.name}' is not unique")
        index[node.name] = i
    return index


class _Importer:
    """One ``import_graph_def`` call: the state TF's GraphConstructor keeps."""

    def __init__(
        self, graph: Graph, graph_def: Any, mapped: dict[tuple[str, int], Tensor], prefix: str
    ) -> None:
        self.graph = graph
        self.nodes = list(graph_def.node)
        self.index = _index_nodes(self.nodes)
        self.mapped = mapped
        self.used_keys: set[tuple[str, int]] = set()
        self.prefix = prefix
        self.created: dict[str, Operation] = {}
        self.renamed: dict[str, str] = {}
        self.existing = set(graph._ops_by_name)
        for name in list(self.existing):
            parts = name.split("/")
            self.existing.update("/".join(parts[:k]) for k in range(1, len(parts)))

    # -- ordering -----------------------------------------------------------------------------

    def _check_inputs_exist(self) -> None:
        for node in self.nodes:
            for inp in node.input:
                src, index, control = _parse_input(inp)
                if src in self.index or (not control and (src, index) in self.mapped):
                    continue
                raise ValueError(f"Node '{node.name}': Unknown input node '{inp}'")

    def _order(self) -> list[int]:
        """Kahn's order by GraphDef position (TF's ready set); raises for cycles."""
        pending = [0] * len(self.nodes)
        consumers: list[list[int]] = [[] for _ in self.nodes]
        for i, node in enumerate(self.nodes):
            sources = []
            for inp in node.input:
                src, index, control = _parse_input(inp)
                if not control and (src, index) in self.mapped:
                    continue
                sources.append((self.index[src], control))
            loop = node.op in _MERGES and any(
                self.nodes[s].op in _NEXT_ITERATIONS for s, c in sources if not c
            )
            for s, _ in sources:
                consumers[s].append(i)
            if loop:
                controls = sum(1 for _, c in sources if c)
                pending[i] = controls + 1
            else:
                pending[i] = len(sources)
        ready = [i for i, p in enumerate(pending) if p == 0]
        heapq.heapify(ready)
        order: list[int] = []
        done = [False] * len(self.nodes)
        while ready:
            i = heapq.heappop(ready)
            order.append(i)
            done[i] = True
            for c in consumers[i]:
                if done[c] or pending[c] == 0:
                    continue
                pending[c] -= 1
                if pending[c] == 0:
                    heapq.heappush(ready, c)
        if len(order) < len(self.nodes):
            raise ValueError(f"{len(self.nodes) - len(order)} nodes in a cycle")
        return order

    # -- naming -------------------------------------------------------------------------------

    def _final_name(self, name: str) -> str:
        full = f"{self.prefix}/{name}" if self.prefix else name
        if full not in self.existing:
            return full
        count = 0
        candidate = full
        while candidate in self.existing or (count > 0 and candidate in self.index):
            count += 1
            candidate = f"{full}_{count}"
        self.renamed[name] = candidate
        return candidate

    # -- creating ops -------------------------------------------------------------------------

    def run(self) -> None:
        self._check_inputs_exist()
        order = self._order()
        back_edges: list[tuple[Operation, int, str, int]] = []
        first_new = len(self.graph._ops)
        try:
            for i in order:
                back_edges.extend(self._create(self.nodes[i]))
            for op, slot, src, index in back_edges:
                _rewire(op, slot, self._source(src, index, op.name))
        except BaseException:
            self.graph._rollback(first_new)
            raise

    def _source(self, src: str, index: int, consumer: str) -> Tensor:
        op = self.created[src]
        if index >= len(op._outputs):
            raise ValueError(
                f"Node '{consumer}': Connecting to invalid output {index} of source node "
                f"{src} which has {len(op._outputs)} outputs."
            )
        return op._outputs[index]

    def _create(self, node: Any) -> list[tuple[Operation, int, str, int]]:
        try:
            op_def = op_defs.get(node.op, node.name)
        except NotFoundError as e:
            raise NotFoundError(None, None, e.message) from None
        name = self._final_name(node.name)
        filled = type(node)()
        filled.CopyFrom(node)
        for attr in op_def.attr:
            if attr.name not in filled.attr and attr.HasField("default_value"):
                filled.attr[attr.name].CopyFrom(attr.default_value)
        validate_node_def(filled, op_def, name)
        expected = _input_types(filled, op_def)
        inputs: list[Tensor | None] = []
        deferred = []
        for slot, inp in enumerate(i for i in node.input if not i.startswith("^")):
            src, index, _ = _parse_input(inp)
            if (src, index) in self.mapped:
                self.used_keys.add((src, index))
                inputs.append(self.mapped[(src, index)])
            elif src not in self.created:
                deferred.append((slot, src, index))  # a loop back edge, closed later
                inputs.append(None)
            else:
                inputs.append(self._source(src, index, node.name))
        for slot, tensor in enumerate(inputs):
            if tensor is not None:
                _check_input_type(tensor, expected[slot], slot, name)
        if deferred:
            stand_in = next((t for t in inputs if t is not None), None)
            if stand_in is None:
                raise ValueError(f"Merge node '{node.name}' has only back-edge inputs")
            inputs = [stand_in if t is None else t for t in inputs]
        controls = [self.created[i[1:]] for i in node.input if i.startswith("^")]
        attrs = {k: filled.attr[k] for k in filled.attr if k != "_output_shapes"}
        _rewrite_colocation(attrs, self.prefix, self.renamed)
        values = {
            a.name: attr_codec.decode(filled.attr[a.name])
            for a in op_def.attr
            if a.type not in _LAZY_KINDS
        }
        op = self.graph.create_op(
            node.op,
            [t for t in inputs if t is not None],
            builder._output_dtypes(op_def, values),
            attrs,
            name,
            op_def,
            name_is_final=True,
        )
        op._device = node.device
        for c in controls:
            op._add_control_input(c)
        self.created[node.name] = op
        self.existing.add(name)
        if op.type in SHAPE_FNS:
            builder.infer_shapes(op, self._node_inputs(node))
        elif "_output_shapes" in node.attr:
            _shapes_from_attr(op, node.attr["_output_shapes"])
        return [(op, slot, src, index) for slot, src, index in deferred]

    def _node_inputs(self, node: Any) -> list[str]:
        """The NodeDef's inputs as TF's importer rewrites them (mapped, prefixed, renamed)."""
        out = []
        for inp in node.input:
            src, index, control = _parse_input(inp)
            if not control and (src, index) in self.mapped:
                out.append(self.mapped[(src, index)].name)
                continue
            target = self.created[src].name if src in self.created else src
            out.append(("^" if control else "") + target + inp[len(inp.lstrip("^")) + len(src) :])
        return out

    def missing_keys(self) -> list[str]:
        """``input_map`` keys that name no output of the GraphDef (TF's typo check)."""
        missing = []
        for key in self.mapped:
            if key in self.used_keys:
                continue
            src, index = key
            position = self.index.get(src)
            if position is None:
                missing.append(key)
                continue
            node = self.nodes[position]
            if op_defs.known(node.op):
                try:
                    count = _output_count(node, op_defs.get(node.op))
                except (KeyError, ValueError, TypeError):
                    count = index + 1
                if index >= count:
                    missing.append(key)
        return [f"{s}:{i}" for s, i in missing]


def _check_input_type(tensor: Tensor, want: dtypes.DType, slot: int, name: str) -> None:
    got = tensor.dtype
    fits = got == want or (not want.is_ref and got.base_dtype == want)
    if not fits:
        raise ValueError(
            f"Input {slot} of node {name} was passed {got.type_string} from {tensor.name} "
            f"incompatible with expected {want.type_string}."
        )


def _shapes_from_attr(op: Operation, value: Any) -> None:
    shapes = attr_codec.decode(value) or []
    for tensor, shape in zip(op._outputs, shapes, strict=False):
        tensor._shape = shape if isinstance(shape, TensorShape) else TensorShape(shape)


def _convert_input_map(
    graph: Graph, input_map: dict[str, Any], name: str | None
) -> dict[tuple[str, int], Tensor]:
    if not all(isinstance(v, Tensor) for v in input_map.values()):
        if name == "":
            raise ValueError(
                "tf.import_graph_def() requires a non-empty `name` if `input_map` contains "
                "non-Tensor values. Try calling tf.convert_to_tensor() on `input_map` values "
                "before calling tf.import_graph_def()."
            )
        with graph.name_scope("_inputs"):
            input_map = {k: builder.convert_to_tensor(v) for k, v in input_map.items()}
    mapped = {}
    for key, value in input_map.items():
        src, index, control = _parse_input(key)
        if control:
            raise ValueError(f"Control input mappings are not supported by stowflow: {key!r}")
        if value.graph is not graph:
            raise ValueError(f"Tensor {value.name} in input_map is not an element of this graph.")
        mapped[(src, index)] = value
    return mapped


def import_graph_def(
    graph_def: Any,
    input_map: dict[str, Any] | None = None,
    return_elements: list[str] | None = None,
    name: str | None = None,
    op_dict: Any = None,
    producer_op_list: Any = None,
) -> list[Tensor | Operation] | None:
    """Imports ``graph_def`` under the name scope ``name`` (default ``"import"``).

    Args:
        graph_def: a GraphDef.
        input_map: GraphDef tensor name (``"x:0"``) -> Tensor (or value) to use instead.
        return_elements: names of tensors (``"a:0"``) or ops to return.
        name: prefix; ``""`` imports the names unchanged (uniquified if taken).

    Returns:
        The requested elements, or None if ``return_elements`` is None.

    Raises:
        NotFoundError: for an op type stowflow does not know, naming the node.
        TypeError: for ``input_map`` keys or ``return_elements`` that are not strings.
        ValueError: TF's messages for invalid GraphDefs, mappings and return elements.
    """
    if not hasattr(graph_def, "node"):
        raise TypeError(
            f"Argument `graph_def` must be a GraphDef proto. Obtained: {type(graph_def).__name__}"
        )
    input_map = _check_input_map(input_map)
    wanted = _check_return_elements(return_elements)
    graph = get_default_graph()
    for value in input_map.values():
        if isinstance(value, Tensor):
            graph = value.graph
            break
    with graph.as_default(), graph.name_scope(name if name is not None else "import") as scope:
        mapped = _convert_input_map(graph, input_map, name)
        importer = _Importer(graph, graph_def, mapped, scope[:-1] if scope else "")
        first_new = len(graph._ops)
        _merge_library(graph, graph_def)  # function bodies may be needed while importing
        importer.run()
        try:
            result = None if wanted is None else [_return_element(importer, e) for e in wanted]
        except ValueError:
            graph._rollback(first_new)
            raise
    missing = importer.missing_keys()
    if missing:
        raise ValueError(
            f"Attempted to map inputs that were not found in graph_def: [{', '.join(missing)}]"
        )
    return result


def _rewire(op: Operation, slot: int, tensor: Tensor) -> None:
    """Points input ``slot`` of ``op`` at ``tensor`` (closing a loop's back edge)."""
    previous = op._inputs[slot]
    previous._consumers.remove(op)
    op._inputs[slot] = tensor
    tensor._consumers.append(op)


def _merge_library(graph: Any, graph_def: Any) -> None:
    """Adds the GraphDef's functions to the graph's library (names already there win)."""
    if not graph_def.HasField("library") or not graph_def.library.function:
        return
    if graph.library is None:
        graph.library = type(graph_def.library)()
    known = {f.signature.name for f in graph.library.function}
    for function in graph_def.library.function:
        if function.signature.name not in known:
            graph.library.function.add().CopyFrom(function)
    graph.library.gradient.extend(graph_def.library.gradient)


def _rewrite_colocation(attrs: dict[str, Any], prefix: str, renamed: dict[str, str]) -> None:
    if "_class" not in attrs or not (prefix or renamed):
        return
    fixed = []
    for raw in attrs["_class"].list.s:
        item = raw.decode("utf-8", "surrogateescape")  # bytes from the file: any may occur
        if item.startswith("loc:@"):
            target = item[5:]
            target = renamed.get(target, f"{prefix}/{target}" if prefix else target)
            item = "loc:@" + target
        fixed.append(item.encode("utf-8", "surrogateescape"))
    attrs["_class"] = attr_codec.encode("list(string)", fixed)


def _return_element(importer: _Importer, name: str) -> Tensor | Operation:
    op_name, index, control = _parse_input(name)
    is_tensor = ":" in name and not control
    op = importer.created.get(op_name)
    if op is None:
        kind = "tensor" if is_tensor else "node"
        raise ValueError(f"Requested return {kind} {name!r} not found in graph def")
    if not is_tensor:
        return op
    if index >= len(op._outputs):
        raise ValueError(
            f"Invalid return output {index} of node '{op_name}', which has "
            f"{len(op._outputs)} output(s)"
        )
    return op._outputs[index]
