#!/usr/bin/python3
"""Writes testdata/quant/matmul_chain.onnx: the DynamicQuantizeLinear -> MatMulInteger -> Cast ->
Mul [-> Add] chains that onnxruntime's quantize_dynamic writes for MatMul, built by hand with
python3-onnx (Debian) because the npm onnxruntime has no quantizer. One DynamicQuantizeLinear
feeds two chains (as quantize_dynamic shares it between q/k/v projections): int8 weights with
per-channel scales and a bias, and int8 weights per tensor; then a chain with uint8 weights
and a zero point of 128 (weight_type QUInt8), without a bias.

    /usr/bin/python3 scripts/make-quant-chain.py
"""
import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

rng = np.random.default_rng(7)
K, N1, N2, N3 = 32, 48, 40, 24
nodes, inits = [], []


def const(name, arr):
    inits.append(numpy_helper.from_array(arr, name))
    return name


def chain(prefix, q, qs, qz, w, ws, wz, bias):
    ins = [q, const(prefix + "_W", w), qz]
    if wz is not None:
        ins.append(const(prefix + "_W_zp", wz))
    nodes.append(helper.make_node("MatMulInteger", ins, [prefix + "_mmi"], name=prefix + "_MatMul_quant"))
    nodes.append(helper.make_node("Cast", [prefix + "_mmi"], [prefix + "_cast"], to=TensorProto.FLOAT))
    nodes.append(helper.make_node("Mul", [qs, const(prefix + "_W_scale", ws)], [prefix + "_scales_mul"]))
    out = prefix + ("_mul" if bias is not None else "")
    nodes.append(helper.make_node("Mul", [prefix + "_cast", prefix + "_scales_mul"], [out]))
    if bias is not None:
        nodes.append(helper.make_node("Add", [out, const(prefix + "_bias", bias)], [prefix]))
    return prefix


def dql(x, prefix):
    nodes.append(helper.make_node("DynamicQuantizeLinear", [x], [prefix + "_q", prefix + "_s", prefix + "_z"]))
    return prefix + "_q", prefix + "_s", prefix + "_z"


q, s, z = dql("x", "x")
a = chain("a", q, s, z, rng.integers(-127, 128, (K, N1), dtype=np.int8),
          rng.uniform(0.002, 0.02, N1).astype(np.float32), None, rng.uniform(-1, 1, N1).astype(np.float32))
b = chain("b", q, s, z, rng.integers(-127, 128, (K, N2), dtype=np.int8),
          np.array(0.01, np.float32), np.array(0, np.int8), rng.uniform(-1, 1, N2).astype(np.float32))
nodes.append(helper.make_node("Relu", [a], ["a_relu"]))
q2, s2, z2 = dql("a_relu", "h")
c = chain("c", q2, s2, z2, rng.integers(0, 256, (N1, N3), dtype=np.uint8),
          np.array(0.005, np.float32), np.array(128, np.uint8), None)
graph = helper.make_graph(nodes, "quant_chain",
                          [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 16, K])],
                          [helper.make_tensor_value_info(b, TensorProto.FLOAT, [1, 16, N2]),
                           helper.make_tensor_value_info(c, TensorProto.FLOAT, [1, 16, N3])],
                          inits)
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], producer_name="onnxc make-quant-chain.py")
model.ir_version = 7
onnx.checker.check_model(model)
onnx.save(model, "testdata/quant/matmul_chain.onnx")
