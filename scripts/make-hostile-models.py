#!/usr/bin/env python3
"""Writes the hostile and broken models of testdata/hostile (compiler/hostile_test.go) with
Debian's python3-onnx: /usr/bin/python3 scripts/make-hostile-models.py testdata/hostile"""
import os, sys
import onnx
from onnx import helper as h, TensorProto as T

sys.setrecursionlimit(100000)
out = sys.argv[1]
os.makedirs(out, exist_ok=True)
os.chdir(out)

def save(name, nodes, inputs, outputs, inits=(), opset=17):
    g = h.make_graph(nodes, name, inputs, outputs, initializer=list(inits))
    onnx.save(h.make_model(g, opset_imports=[h.make_opsetid("", opset)]), name + ".onnx")

x = h.make_tensor_value_info("x", T.FLOAT, [2])
y = h.make_tensor_value_info("y", T.FLOAT, [2])
anyy = h.make_tensor_value_info("y", T.FLOAT, None)
save("cycle", [h.make_node("Relu", ["b"], ["a"]), h.make_node("Relu", ["a"], ["b"]), h.make_node("Add", ["x", "b"], ["y"])], [x], [y])
save("undefined_input", [h.make_node("Add", ["x", "nosuch"], ["y"])], [x], [y])
save("unknown_op", [h.make_node("FrobnicateX", ["x"], ["y"])], [x], [y])
save("unknown_domain", [h.make_node("Relu", ["x"], ["y"], domain="com.evil")], [x], [y])
save("future_opset", [h.make_node("Relu", ["x"], ["y"])], [x], [y], opset=99)
save("attribute_type", [h.make_node("Transpose", ["x"], ["y"], perm="abc")], [x], [y])

def tensor(name, dims, **kw):
    t = T(); t.name = name; t.data_type = T.FLOAT; t.dims.extend(dims)
    for k, v in kw.items():
        setattr(t, k, v)
    return t
save("huge_initializer", [h.make_node("Add", ["x", "w"], ["y"])], [x], [y], inits=[tensor("w", [1000000, 1000000])])
save("huge_initializer_raw", [h.make_node("Add", ["x", "w"], ["y"])], [x], [y], inits=[tensor("w", [1000000, 1000000], raw_data=b"\0" * 8)])
save("constant_of_shape_huge", [h.make_node("ConstantOfShape", ["s"], ["y"])], [], [anyy],
     inits=[h.make_tensor("s", T.INT64, [2], [1000000, 1000000])])
save("range_huge", [h.make_node("Range", ["a", "b", "c"], ["y"])], [], [h.make_tensor_value_info("y", T.INT64, None)],
     inits=[h.make_tensor("a", T.INT64, [], [0]), h.make_tensor("b", T.INT64, [], [10**13]), h.make_tensor("c", T.INT64, [], [1])])

def external(name, location, **extra):
    t = tensor("w", [2]); t.data_location = T.EXTERNAL
    for k, v in [("location", location)] + list(extra.items()):
        e = t.external_data.add(); e.key = k; e.value = str(v)
    save(name, [h.make_node("Add", ["x", "w"], ["y"])], [x], [y], inits=[t])
external("external_relative_outside", "../../../../etc/passwd")
external("external_absolute", "/etc/passwd")
external("external_symlink", "link.bin")
external("external_past_end", "short.bin", offset=4, length=8)
with open("short.bin", "wb") as f:
    f.write(b"\0" * 8)

# If nested 1,000 deep: must compile, in near-linear time.
cond = h.make_tensor_value_info("c", T.BOOL, [])
leaf = h.make_graph([h.make_node("Identity", ["x"], ["o1000"])], "leaf", [], [h.make_tensor_value_info("o1000", T.FLOAT, [2])])
inner = leaf
for d in range(1000):
    o = "o%d" % (999 - d)
    inner = h.make_graph([h.make_node("If", ["c"], [o], then_branch=inner, else_branch=leaf)], "g%d" % d, [],
                         [h.make_tensor_value_info(o, T.FLOAT, [2])])
g = h.make_graph(list(inner.node), "main", [x, cond], [h.make_tensor_value_info("o0", T.FLOAT, [2])])
onnx.save(h.make_model(g, opset_imports=[h.make_opsetid("", 17)]), "nested_if_1000.onnx")

open("empty.onnx", "wb").close()
with open("random.onnx", "wb") as f:
    import random
    random.seed(1)
    f.write(bytes(random.getrandbits(8) for _ in range(4096)))
