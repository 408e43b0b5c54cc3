#!/usr/bin/python3
"""Writes testdata/quant/qdq_cnn.onnx: a small CNN in the QDQ form that onnxruntime's
quantize_static (and most quantization toolkits) write, built by hand with python3-onnx
(Debian) because the npm onnxruntime has no quantizer. Every quantized op reads
DequantizeLinear(QuantizeLinear(x)) with fixed scales and zero points:

  conv1  uint8 activations (zero point 37), int8 weights per output channel, int32 bias
         DequantizeLinear'd with x_scale * w_scale, then Relu
  conv2  int8 activations (zero point -5), uint8 weights with zero point 128 per tensor,
         float32 bias, stride 2
  matmul uint8 activations, int8 weights per column (axis 1), after a Flatten

    /usr/bin/python3 scripts/make-qdq.py
"""
import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

rng = np.random.default_rng(11)
nodes, inits = [], []


def const(name, arr):
    inits.append(numpy_helper.from_array(arr, name))
    return name


def qdq(x, name, scale, zp):
    s, z = const(name + "_s", np.array(scale, np.float32)), const(name + "_z", zp)
    nodes.append(helper.make_node("QuantizeLinear", [x, s, z], [name + "_q"], name=name + "_Q"))
    nodes.append(helper.make_node("DequantizeLinear", [name + "_q", s, z], [name + "_dq"], name=name + "_DQ"))
    return name + "_dq"


def weight(name, q, scale, zp, axis):
    ins = [const(name + "_q", q), const(name + "_s", scale)]
    if zp is not None:
        ins.append(const(name + "_z", zp))
    nodes.append(helper.make_node("DequantizeLinear", ins, [name + "_dq"], name=name + "_DQ", axis=axis))
    return name + "_dq"


C0, C1, C2, H, W, N = 8, 16, 12, 10, 12, 20
x1 = qdq("x", "a1", 0.02, np.array(37, np.uint8))
w1s = (rng.uniform(0.002, 0.01, C1)).astype(np.float32)
w1 = weight("w1", rng.integers(-127, 128, (C1, C0, 3, 3)).astype(np.int8), w1s, np.zeros(C1, np.int8), 0)
b1 = weight("b1", rng.integers(-2000, 2000, C1).astype(np.int32), (0.02 * w1s).astype(np.float32), None, 0)
nodes.append(helper.make_node("Conv", [x1, w1, b1], ["c1"], name="conv1", pads=[1, 1, 1, 1]))
nodes.append(helper.make_node("Relu", ["c1"], ["r1"], name="relu1"))
x2 = qdq("r1", "a2", 0.015, np.array(-5, np.int8))
w2 = weight("w2", rng.integers(0, 256, (C2, C1, 3, 3)).astype(np.uint8), np.array(0.004, np.float32), np.array(128, np.uint8), 0)
b2 = const("b2", rng.uniform(-0.5, 0.5, C2).astype(np.float32))
nodes.append(helper.make_node("Conv", [x2, w2, b2], ["c2"], name="conv2", strides=[2, 2], pads=[1, 1, 1, 1]))
nodes.append(helper.make_node("Flatten", ["c2"], ["f"], name="flatten"))
x3 = qdq("f", "a3", 0.05, np.array(128, np.uint8))
K = C2 * (H // 2) * (W // 2)
w3 = weight("w3", rng.integers(-127, 128, (K, N)).astype(np.int8), rng.uniform(0.001, 0.004, N).astype(np.float32), None, 1)
nodes.append(helper.make_node("MatMul", [x3, w3], ["y"], name="matmul"))

graph = helper.make_graph(nodes, "qdq_cnn", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, C0, H, W])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, N])], inits)
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
model.ir_version = 8
onnx.checker.check_model(model)
onnx.save(model, "testdata/quant/qdq_cnn.onnx")

# testdata/quant/qop_cnn.onnx: the same network in the QOperator form (QLinearConv,
# QLinearMatMul) that onnxruntime's quantizer writes with quant_format=QOperator: uint8 then int8
# activations between the ops, int32 bias, per-channel and per-tensor weights.
nodes, inits = [], []
sx, zx = const("sx", np.array(0.02, np.float32)), const("zx", np.array(37, np.uint8))
nodes.append(helper.make_node("QuantizeLinear", ["x", sx, zx], ["xq"], name="quant_x"))
w1q = rng.integers(-127, 128, (C1, C0, 3, 3)).astype(np.int8)
w1s = rng.uniform(0.002, 0.01, C1).astype(np.float32)
s1, z1 = const("s1", np.array(0.015, np.float32)), const("z1", np.array(60, np.uint8))
nodes.append(helper.make_node("QLinearConv", ["xq", sx, zx, const("w1", w1q), const("w1s", w1s), const("w1z", np.zeros(C1, np.int8)),
                                              s1, z1, const("b1", rng.integers(-2000, 2000, C1).astype(np.int32))],
                              ["c1"], name="conv1", pads=[1, 1, 1, 1]))
s2, z2 = const("s2", np.array(0.05, np.float32)), const("z2", np.array(128, np.uint8))
nodes.append(helper.make_node("QLinearConv", ["c1", s1, z1, const("w2", rng.integers(0, 256, (C2, C1, 3, 3)).astype(np.uint8)),
                                              const("w2s", np.array(0.004, np.float32)), const("w2z", np.array(128, np.uint8)), s2, z2],
                              ["c2"], name="conv2", strides=[2, 2], pads=[1, 1, 1, 1]))
nodes.append(helper.make_node("DequantizeLinear", ["c2", s2, z2], ["c2f"], name="dequant_c2"))
nodes.append(helper.make_node("Flatten", ["c2f"], ["f"], name="flatten"))
sf, zf = const("sf", np.array(0.05, np.float32)), const("zf", np.array(-3, np.int8))
nodes.append(helper.make_node("QuantizeLinear", ["f", sf, zf], ["fq"], name="quant_f"))
s3, z3 = const("s3", np.array(0.3, np.float32)), const("z3", np.array(7, np.int8))
nodes.append(helper.make_node("QLinearMatMul", ["fq", sf, zf, const("w3", rng.integers(-127, 128, (K, N)).astype(np.int8)),
                                                const("w3s", np.array(0.003, np.float32)), const("w3z", np.array(0, np.int8)), s3, z3],
                              ["mq"], name="matmul"))
nodes.append(helper.make_node("DequantizeLinear", ["mq", s3, z3], ["y"], name="dequant_y"))
graph = helper.make_graph(nodes, "qop_cnn", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, C0, H, W])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, N])], inits)
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
model.ir_version = 8
onnx.checker.check_model(model)
onnx.save(model, "testdata/quant/qop_cnn.onnx")
