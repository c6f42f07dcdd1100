"""A network as an ONNX file that a browser runs (ONNX Runtime Web, WebAssembly backend).

``to_onnx`` traces the network with PyTorch's exporter (the dynamo exporter: the TorchScript one
cannot export ``nn.MultiheadAttention``'s fused kernel), with a free batch dimension, then stores
every fp32 weight that fp16 represents exactly as fp16 plus a Cast node: the section-15 weights are
trained in fp32 but cached as fp16, so this halves the download (3.7 -> 1.9 MB) and the network
computes with the very same fp32 weights. ``max_difference`` runs the file with the onnxruntime
package on fixed inputs against PyTorch.
"""
from __future__ import annotations

import io
import json
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

OPSET = 18   # run by onnxruntime-web's WebAssembly backend (every opset up to 21 in 1.30)


def to_onnx(model: torch.nn.Module, example: tuple[torch.Tensor, ...], input_names: list[str],
            output_name: str) -> bytes:
    """The model as ONNX bytes; dimension 0 of every input and of the output is the batch."""
    batch = torch.export.Dim("batch", min=1, max=4096)
    with tempfile.TemporaryDirectory() as tmp, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        path = Path(tmp) / "model.onnx"
        torch.onnx.export(model, example, str(path), input_names=input_names, output_names=[output_name],
                          dynamic_shapes=tuple({0: batch} for _ in example), opset_version=OPSET,
                          dynamo=True, external_data=False, verbose=False)
        return half_weights(path.read_bytes())


def half_weights(data: bytes) -> bytes:
    """Every fp32 initializer that fp16 holds exactly becomes fp16 and a Cast back to fp32 (the
    runtime folds the Casts once, when the session starts). Others stay fp32."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    m = onnx.load_model_from_string(data)
    g = m.graph
    kept, casts = [], []
    for init in g.initializer:
        w = numpy_helper.to_array(init)
        if init.data_type == TensorProto.FLOAT and w.size and np.array_equal(w.astype(np.float16).astype(np.float32), w):
            half = numpy_helper.from_array(w.astype(np.float16), init.name + "_fp16")
            kept.append(half)
            casts.append(helper.make_node("Cast", [half.name], [init.name], to=TensorProto.FLOAT))
        else:
            kept.append(init)
    del g.initializer[:]
    g.initializer.extend(kept)
    nodes = casts + list(g.node)
    del g.node[:]
    g.node.extend(nodes)
    onnx.checker.check_model(m)
    buf = io.BytesIO()
    onnx.save_model(m, buf)
    return buf.getvalue()


def max_difference(data: bytes, model: torch.nn.Module, inputs: dict[str, torch.Tensor]) -> float:
    """max |onnxruntime(data)(inputs) - model(*inputs)| over the output, on the CPU, one thread."""
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = options.inter_op_num_threads = 1
    session = onnxruntime.InferenceSession(data, options, providers=["CPUExecutionProvider"])
    got = session.run(None, {k: v.numpy() for k, v in inputs.items()})[0]
    with torch.no_grad():
        want = model(*inputs.values()).numpy()
    return float(np.abs(got - want).max())


@dataclass
class BrowserModel:
    """An artifact for the page's in-browser demo (kind 'demo'): ``model`` the ONNX bytes, ``config``
    the sampler's constants (JSON), ``meta`` what the page says of it (parameters, the export's check)."""

    model: bytes
    config: dict
    meta: dict

    def save_to(self, folder: Path, name: str) -> tuple[dict, dict]:
        (folder / f"{name}.onnx").write_bytes(self.model)
        (folder / f"{name}.json").write_text(json.dumps(self.config, separators=(",", ":")) + "\n")
        return {"main": f"{name}.onnx", "config": f"{name}.json"}, {**self.meta, "model_bytes": len(self.model)}
