package compiler

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/onnxc/onnxc/frontend/paddle/paddlepb"
)

// hostilePaddleCase is one broken Paddle model: the files it is made of (paths relative to
// testdata/hostile/paddle), the path handed to the compiler and the text its error must hold.
type hostilePaddleCase struct {
	path  string
	files map[string][]byte
	want  string
}

// The Paddle programs of the hostile-model table, ProgramDesc and PIR, with the faults of the
// ONNX ones. hostilePaddleCases writes them; go test ./compiler -run HostilePaddle -update
// rewrites testdata/hostile/paddle, which scripts/hostile-table.sh also measures.
func hostilePaddleCases(t *testing.T) []hostilePaddleCase {
	cls, err := os.ReadFile(filepath.Join("..", "testdata", "paddle", "ppocr-cls-v2.0", "inference.pdmodel"))
	if err != nil {
		t.Fatal(err)
	}
	lcnet, err := os.ReadFile(filepath.Join("..", "testdata", "paddle", "pir-lcnet-textline-ori", "inference.json"))
	if err != nil {
		t.Fatal(err)
	}
	random := make([]byte, 512)
	rng := rand.New(rand.NewPCG(9, 9))
	for i := range random {
		random[i] = byte(rng.Uint32())
	}
	x := pdVar("x", false, -1, 4)
	relu := pdOp("relu", pdSlots("X", "x"), pdSlots("Out", "y"))
	fourFloats := make([]byte, 16)
	w := pdVar("w", true, 2, 2)
	addW := pdOp("elementwise_add", append(pdSlots("X", "x"), pdSlots("Y", "w")...), pdSlots("Out", "y"))
	pd := func(name string, prog, params []byte) hostilePaddleCase {
		files := map[string][]byte{name + ".pdmodel": prog}
		if params != nil {
			files[name+".pdiparams"] = params
		}
		return hostilePaddleCase{path: name + ".pdmodel", files: files}
	}
	pir := func(name, ops string) hostilePaddleCase {
		prog := `{"base_code":{"magic":"pir","version":1},"program":{"regions":[{"#":"region_0","blocks":[{"#":"block_0","ops":[` + ops + `]}]}]}}`
		return hostilePaddleCase{path: name + ".json", files: map[string][]byte{name + ".json": []byte(prog), name + ".pdiparams": {}}}
	}
	const pirData = `{"#":"1.data","A":[{"AT":{"#":"0.a_str","D":"x"},"N":"name"}],"I":[],"O":[{"%":1,"TT":{"#":"0.t_dtensor","D":[{"#":"0.t_f32"},[-1,4],"NCHW",[],0]}}]}`
	pirFetch := func(id int) string {
		return fmt.Sprintf(`{"#":"1.fetch","A":[{"AT":{"#":"0.a_str","D":"y"},"N":"name"},{"AT":{"#":"0.a_i32","D":0},"N":"col"}],"I":[{"%%":%d}],"O":[{"%%":99,"TT":{"#":"0.t_dtensor","D":[{"#":"0.t_f32"},[-1,4],"NCHW",[],0]}}]}`, id)
	}
	const f32x4 = `"TT":{"#":"0.t_dtensor","D":[{"#":"0.t_f32"},[-1,4],"NCHW",[],0]}`
	with := func(c hostilePaddleCase, want string) hostilePaddleCase { c.want = want; return c }
	imageIn := pdVar("img", false, 1, 3, 8, 8)
	imageIn.NeedCheckFeed = proto.Bool(true) // declared sizes hold: the interpolation's output is static
	separate := map[string][]byte{
		"separate_traversal/__model__": pdProgram(t, []*paddlepb.VarDesc{x, pdVar("../../etc/passwd", true, 4)},
			pdOp("elementwise_add", append(pdSlots("X", "x"), pdSlots("Y", "../../etc/passwd")...), pdSlots("Out", "y"))),
	}
	return []hostilePaddleCase{
		with(pd("empty", nil, []byte{}), "empty file, not a Paddle program"),
		with(pd("random", random, []byte{}), "not a Paddle program"),
		with(pd("truncated", cls[:3000], []byte{}), "not a Paddle program"),
		with(pd("undefined_input", pdProgram(t, []*paddlepb.VarDesc{x}, pdOp("relu", pdSlots("X", "nosuch"), pdSlots("Out", "y"))), []byte{}),
			`relu op producing "y": input "nosuch" is not defined`),
		with(pd("cycle", pdProgram(t, []*paddlepb.VarDesc{x},
			pdOp("relu", pdSlots("X", "b"), pdSlots("Out", "a")), pdOp("relu", pdSlots("X", "a"), pdSlots("Out", "b")),
			pdOp("relu", pdSlots("X", "b"), pdSlots("Out", "y"))), []byte{}),
			`relu op producing "a": input "b" is not defined before it (a later op produces it: a cycle, or ops out of order)`),
		with(pd("unknown_op", pdProgram(t, []*paddlepb.VarDesc{x}, pdOp("frobnicate", pdSlots("X", "x"), pdSlots("Out", "y"))), []byte{}),
			"1 Paddle op type(s) cannot be mapped: frobnicate"),
		with(pd("attribute_type", pdProgram(t, []*paddlepb.VarDesc{x}, pdOp("transpose2", pdSlots("X", "x"), pdSlots("Out", "y"),
			&paddlepb.OpDesc_Attr{Name: proto.String("axis"), Type: paddlepb.AttrType_STRING.Enum(), S: proto.String("1,0")})), []byte{}),
			`transpose2 op producing "y": attribute "axis" is a string, want ints`),
		with(pd("huge_param", pdProgram(t, []*paddlepb.VarDesc{x, pdVar("w", true, 1e6, 1e6)}, addW), pdRecord(0, []int64{1e6, 1e6}, fourFloats)),
			`parameter "w": record at byte 0: float32[1000000 1000000] needs more data than the 16 bytes left in the file`),
		with(pd("param_mismatch", pdProgram(t, []*paddlepb.VarDesc{x, pdVar("w", true, 1e6, 1e6)}, addW), pdRecord(0, []int64{2, 2}, fourFloats)),
			`parameter "w": the program declares float32[1000000 1000000], the parameters file holds float32[2 2]`),
		with(pd("lod_levels", pdProgram(t, []*paddlepb.VarDesc{x, w}, addW), pdRecord(1<<40, []int64{2, 2}, fourFloats)),
			`parameter "w": record at byte 0: 1099511627776 LoD levels`),
		with(pd("truncated_params", pdProgram(t, []*paddlepb.VarDesc{x, w}, addW), pdRecord(0, []int64{2, 2}, fourFloats)[:30]),
			`parameter "w": record at byte 0: float32[2 2] needs more data than the 4 bytes left in the file`),
		with(pd("missing_params", pdProgram(t, []*paddlepb.VarDesc{x, w}, addW), nil),
			"its parameters file is missing (want missing_params.pdiparams beside it"),
		with(pd("fill_constant_huge", pdProgram(t, []*paddlepb.VarDesc{x, pdVar("y", false, 1e6, 1e6)}, pdOp("fill_constant", nil, pdSlots("Out", "y"),
			&paddlepb.OpDesc_Attr{Name: proto.String("shape"), Type: paddlepb.AttrType_LONGS.Enum(), Longs: []int64{1e6, 1e6}},
			&paddlepb.OpDesc_Attr{Name: proto.String("dtype"), Type: paddlepb.AttrType_INT.Enum(), I: proto.Int32(int32(paddlepb.VarType_FP32))},
			&paddlepb.OpDesc_Attr{Name: proto.String("value"), Type: paddlepb.AttrType_FLOAT.Enum(), F: proto.Float32(1)})), []byte{}),
			`ConstantOfShape node "y": output float32[1000000,1000000] (4000000000000 bytes) would take more than the limit of 17179869184 bytes per tensor (--max-tensor-bytes raises it)`),
		with(pd("interp_huge", pdProgram(t, []*paddlepb.VarDesc{imageIn}, pdOp("bilinear_interp_v2", pdSlots("X", "img"), pdSlots("Out", "y"),
			&paddlepb.OpDesc_Attr{Name: proto.String("out_h"), Type: paddlepb.AttrType_INT.Enum(), I: proto.Int32(1e6)},
			&paddlepb.OpDesc_Attr{Name: proto.String("out_w"), Type: paddlepb.AttrType_INT.Enum(), I: proto.Int32(1e6)})), []byte{}),
			`Resize node "y": output float32[1,3,1000000,1000000] (12000000000000 bytes) would take more than the limit`),
		with(pd("conditional_block_self", pdProgram(t, []*paddlepb.VarDesc{x}, pdOp("conditional_block", pdSlots("Input", "x"), pdSlots("Out", "y"),
			&paddlepb.OpDesc_Attr{Name: proto.String("sub_block"), Type: paddlepb.AttrType_BLOCK.Enum(), BlockIdx: proto.Int32(0)})), []byte{}),
			"1 Paddle op type(s) cannot be mapped: conditional_block"),
		{path: "separate_traversal", files: separate, want: `parameter name "../../etc/passwd" is not a file name`},
		with(pd("relu_ok_control", pdProgram(t, []*paddlepb.VarDesc{x}, relu), []byte{}), ""),

		with(hostilePaddleCase{path: "empty.json", files: map[string][]byte{"empty.json": {}, "empty.pdiparams": {}}}, "empty file, not a Paddle program"),
		with(hostilePaddleCase{path: "not_pir.json", files: map[string][]byte{"not_pir.json": []byte(`{"hello": 1}`), "not_pir.pdiparams": {}}}, `not a Paddle PIR program (magic "")`),
		with(hostilePaddleCase{path: "truncated.json", files: map[string][]byte{"truncated.json": lcnet[:2000], "truncated.pdiparams": {}}}, "not a Paddle PIR program: unexpected end of JSON input"),
		with(hostilePaddleCase{path: "deep.json", files: map[string][]byte{
			"deep.json":      []byte(`{"base_code":{"magic":"pir"},"program":` + strings.Repeat("[", 100_000) + strings.Repeat("]", 100_000) + "}"),
			"deep.pdiparams": {}}}, "exceeded max depth"),
		with(pir("unknown_op", pirData+`,{"#":"1.frobnicate","I":[{"%":1}],"O":[{"%":2,`+f32x4+`}]},`+pirFetch(2)), "1 Paddle op type(s) cannot be mapped: frobnicate"),
		with(pir("undefined_operand", pirData+`,{"#":"1.relu","I":[{"%":77}],"O":[{"%":2,`+f32x4+`}]},`+pirFetch(2)), "1.relu op producing %2: operand %77 is not defined"),
		with(pir("attribute_type", pirData+`,{"#":"1.flatten","A":[{"AT":{"#":"0.a_str","D":"one"},"N":"start_axis"}],"I":[{"%":1}],"O":[{"%":2,`+f32x4+`}]},`+pirFetch(2)),
			`1.flatten op producing %2: attribute "start_axis" is a string, want an int`),
		with(pir("full_huge", `{"#":"1.full","A":[{"AT":{"#":"1.a_intarray","D":[1000000,1000000]},"N":"shape"},{"AT":{"#":"0.a_f32","D":1},"N":"value"},{"AT":{"#":"1.a_dtype","D":"float32"},"N":"dtype"}],"I":[],"O":[{"%":2,"TT":{"#":"0.t_dtensor","D":[{"#":"0.t_f32"},[1000000,1000000],"NCHW",[],0]}}]},`+pirFetch(2)),
			`ConstantOfShape node "full": output float32[1000000,1000000] (4000000000000 bytes) would take more than the limit`),
	}
}

func pdVar(name string, persistable bool, dims ...int64) *paddlepb.VarDesc {
	return &paddlepb.VarDesc{
		Name: proto.String(name),
		Type: &paddlepb.VarType{Type: paddlepb.VarType_LOD_TENSOR.Enum(), LodTensor: &paddlepb.VarType_LoDTensorDesc{
			Tensor: &paddlepb.VarType_TensorDesc{DataType: paddlepb.VarType_FP32.Enum(), Dims: dims}}},
		Persistable: proto.Bool(persistable),
	}
}

func pdSlots(slot string, args ...string) []*paddlepb.OpDesc_Var {
	return []*paddlepb.OpDesc_Var{{Parameter: proto.String(slot), Arguments: args}}
}

func pdOp(typ string, ins, outs []*paddlepb.OpDesc_Var, attrs ...*paddlepb.OpDesc_Attr) *paddlepb.OpDesc {
	return &paddlepb.OpDesc{Type: proto.String(typ), Inputs: ins, Outputs: outs, Attrs: attrs}
}

// pdProgram is a ProgramDesc of one block: x fed in at column 0, the given ops, y fetched.
func pdProgram(t *testing.T, vars []*paddlepb.VarDesc, ops ...*paddlepb.OpDesc) []byte {
	col := func() *paddlepb.OpDesc_Attr {
		return &paddlepb.OpDesc_Attr{Name: proto.String("col"), Type: paddlepb.AttrType_INT.Enum(), I: proto.Int32(0)}
	}
	feed := vars[0].GetName()
	all := append([]*paddlepb.OpDesc{pdOp("feed", pdSlots("X", "feed"), pdSlots("Out", feed), col())}, ops...)
	all = append(all, pdOp("fetch", pdSlots("X", "y"), pdSlots("Out", "fetch"), col()))
	b, err := proto.Marshal(&paddlepb.ProgramDesc{Blocks: []*paddlepb.BlockDesc{{Idx: proto.Int32(0), ParentIdx: proto.Int32(-1), Vars: vars, Ops: all}}})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// pdRecord is one params-file record of a float32 tensor: version, LoD level count (levels,
// none of which follow), tensor version, the TensorDesc and the data.
func pdRecord(levels uint64, dims []int64, data []byte) []byte {
	desc, err := proto.Marshal(&paddlepb.VarType_TensorDesc{DataType: paddlepb.VarType_FP32.Enum(), Dims: dims})
	if err != nil {
		panic(err)
	}
	var b bytes.Buffer
	binary.Write(&b, binary.LittleEndian, uint32(0))
	binary.Write(&b, binary.LittleEndian, levels)
	binary.Write(&b, binary.LittleEndian, uint32(0))
	binary.Write(&b, binary.LittleEndian, int32(len(desc)))
	b.Write(desc)
	b.Write(data)
	return b.Bytes()
}

// Hostile and broken Paddle programs get one error that names the file and the problem, and
// nothing else, as the ONNX ones do (TestHostileModels).
func TestHostilePaddleModels(t *testing.T) {
	dir := filepath.Join("..", "testdata", "hostile", "paddle")
	cases := hostilePaddleCases(t)
	for _, c := range cases {
		for name, data := range c.files {
			path := filepath.Join(dir, name)
			if *update {
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, data, 0o644); err != nil {
					t.Fatal(err)
				}
				continue
			}
			if got, err := os.ReadFile(path); err != nil || !bytes.Equal(got, data) {
				t.Fatalf("%s differs from what the test writes (go test ./compiler -run HostilePaddle -update): %v", path, err)
			}
		}
	}
	for _, c := range cases {
		t.Run(c.path, func(t *testing.T) {
			path := filepath.Join(dir, c.path)
			var before runtime.MemStats
			runtime.ReadMemStats(&before)
			_, err := Compile(path, Options{Verify: true})
			var after runtime.MemStats
			runtime.ReadMemStats(&after)
			if c.want == "" { // the control: the helpers make a program that compiles
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil {
				t.Fatal("compiled")
			}
			msg := err.Error()
			// The error names the file at fault: the program, or its parameters file.
			model := strings.TrimSuffix(path, filepath.Ext(path))
			if !strings.HasPrefix(msg, model) || !strings.Contains(msg, c.want) {
				t.Errorf("error %q, want one naming %s and containing %q", msg, model, c.want)
			}
			t.Log(msg)
			if first, _, _ := strings.Cut(msg, "\n"); !strings.Contains(first, c.want) {
				t.Errorf("the first line of %q does not hold %q", msg, c.want)
			}
			if grown := after.TotalAlloc - before.TotalAlloc; grown > 64<<20 {
				t.Errorf("compiling allocated %d MB", grown>>20)
			}
		})
	}
}
