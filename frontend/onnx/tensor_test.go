package onnx

import (
	"encoding/binary"
	"errors"
	"math"
	"math/rand"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/onnxc/onnxc/frontend/onnx/onnxpb"
	"github.com/onnxc/onnxc/ir"
	"github.com/onnxc/onnxc/runtime"
)

// constModel is a model whose only output is the initializer t.
func constModel(t *onnxpb.TensorProto) *onnxpb.ModelProto {
	return modelOf(7, 13, graphOf("g", nil, nil, ins(t.GetName()), t))
}

func decodeConst(t *testing.T, tp *onnxpb.TensorProto) *runtime.Tensor {
	t.Helper()
	m := decodeOK(t, constModel(tp))
	return m.Graph.Outputs[0].Const
}

func TestTensorTypes(t *testing.T) {
	dt := func(d runtime.DType) *int32 { return proto.Int32(int32(d)) }
	cases := []struct {
		tp   *onnxpb.TensorProto
		want any
	}{
		{&onnxpb.TensorProto{DataType: dt(runtime.Float32), Dims: []int64{2}, FloatData: []float32{1, -2}}, []float32{1, -2}},
		{&onnxpb.TensorProto{DataType: dt(runtime.Float64), Dims: []int64{1}, DoubleData: []float64{0.25}}, []float64{0.25}},
		{&onnxpb.TensorProto{DataType: dt(runtime.Int64), Dims: []int64{2}, Int64Data: []int64{math.MinInt64, 5}}, []int64{math.MinInt64, 5}},
		{&onnxpb.TensorProto{DataType: dt(runtime.Int32), Dims: []int64{1}, Int32Data: []int32{-7}}, []int32{-7}},
		{&onnxpb.TensorProto{DataType: dt(runtime.Int16), Dims: []int64{1}, Int32Data: []int32{-300}}, []int16{-300}},
		{&onnxpb.TensorProto{DataType: dt(runtime.Int8), Dims: []int64{2}, Int32Data: []int32{-128, 127}}, []int8{-128, 127}},
		{&onnxpb.TensorProto{DataType: dt(runtime.Uint8), Dims: []int64{1}, Int32Data: []int32{255}}, []uint8{255}},
		{&onnxpb.TensorProto{DataType: dt(runtime.Uint16), Dims: []int64{1}, Int32Data: []int32{65535}}, []uint16{65535}},
		{&onnxpb.TensorProto{DataType: dt(runtime.Uint32), Dims: []int64{1}, Uint64Data: []uint64{1 << 31}}, []uint32{1 << 31}},
		{&onnxpb.TensorProto{DataType: dt(runtime.Uint64), Dims: []int64{1}, Uint64Data: []uint64{1 << 63}}, []uint64{1 << 63}},
		{&onnxpb.TensorProto{DataType: dt(runtime.Bool), Dims: []int64{3}, Int32Data: []int32{1, 0, 1}}, []bool{true, false, true}},
		// float16 and bfloat16 are bit patterns in int32_data: 1.0 is 0x3c00 and 0x3f80.
		{&onnxpb.TensorProto{DataType: dt(runtime.Float16), Dims: []int64{1}, Int32Data: []int32{0x3c00}}, []runtime.F16{0x3c00}},
		{&onnxpb.TensorProto{DataType: dt(runtime.BFloat16), Dims: []int64{1}, Int32Data: []int32{0x3f80}}, []runtime.BF16{0x3f80}},
		{&onnxpb.TensorProto{DataType: dt(runtime.String), Dims: []int64{2}, StringData: [][]byte{[]byte("a"), []byte("bc")}}, []string{"a", "bc"}},
		// raw_data, little-endian.
		{&onnxpb.TensorProto{DataType: dt(runtime.Int32), Dims: []int64{2}, RawData: []byte{1, 0, 0, 0, 0xff, 0xff, 0xff, 0xff}}, []int32{1, -1}},
		{&onnxpb.TensorProto{DataType: dt(runtime.Float16), Dims: []int64{1}, RawData: []byte{0x00, 0x3c}}, []runtime.F16{0x3c00}},
		{&onnxpb.TensorProto{DataType: dt(runtime.Bool), Dims: []int64{2}, RawData: []byte{0, 2}}, []bool{false, true}},
		// A scalar, and an empty tensor with no data.
		{&onnxpb.TensorProto{DataType: dt(runtime.Float32), FloatData: []float32{3}}, []float32{3}},
		{&onnxpb.TensorProto{DataType: dt(runtime.Float32), Dims: []int64{0, 5}}, []float32(nil)},
	}
	for i, c := range cases {
		c.tp.Name = proto.String("t")
		got := decodeConst(t, c.tp)
		var data any
		switch c.want.(type) {
		case []float32:
			data = runtime.Data[float32](got)
		case []float64:
			data = runtime.Data[float64](got)
		case []int64:
			data = runtime.Data[int64](got)
		case []int32:
			data = runtime.Data[int32](got)
		case []int16:
			data = runtime.Data[int16](got)
		case []int8:
			data = runtime.Data[int8](got)
		case []uint8:
			data = runtime.Data[uint8](got)
		case []uint16:
			data = runtime.Data[uint16](got)
		case []uint32:
			data = runtime.Data[uint32](got)
		case []uint64:
			data = runtime.Data[uint64](got)
		case []bool:
			data = runtime.Data[bool](got)
		case []runtime.F16:
			data = runtime.Data[runtime.F16](got)
		case []runtime.BF16:
			data = runtime.Data[runtime.BF16](got)
		case []string:
			data = got.Strs
		}
		if !reflect.DeepEqual(data, c.want) || got.DType != runtime.DType(c.tp.GetDataType()) {
			t.Errorf("case %d: %s %v, want %v", i, got.DType, data, c.want)
		}
	}
}

func TestTensorErrors(t *testing.T) {
	dt := func(d runtime.DType) *int32 { return proto.Int32(int32(d)) }
	cases := []struct {
		tp   *onnxpb.TensorProto
		want string
	}{
		{&onnxpb.TensorProto{DataType: dt(runtime.Float32), Dims: []int64{3}, RawData: make([]byte, 8)}, "8 bytes of raw_data, want 12"},
		{&onnxpb.TensorProto{DataType: dt(runtime.Float32), Dims: []int64{3}, FloatData: []float32{1}}, "1 elements in float_data, want 3"},
		{&onnxpb.TensorProto{DataType: dt(runtime.Float32), Dims: []int64{-1}}, "negative dim"},
		{&onnxpb.TensorProto{DataType: dt(runtime.Float32), Dims: []int64{1 << 40, 1 << 40}}, "overflows"},
		{&onnxpb.TensorProto{DataType: dt(runtime.Float64), Dims: []int64{1 << 61}}, "overflows"},
		{&onnxpb.TensorProto{DataType: dt(runtime.Float32), Dims: []int64{1 << 40}}, "no data"},
		{&onnxpb.TensorProto{Dims: []int64{1}, FloatData: []float32{1}}, "no element type"},
		{&onnxpb.TensorProto{DataType: proto.Int32(14), Dims: []int64{1}, RawData: make([]byte, 8)}, "COMPLEX64"},
		{&onnxpb.TensorProto{DataType: dt(runtime.Int4), Dims: []int64{3}, RawData: []byte{1}}, "want 2"},
		{&onnxpb.TensorProto{DataType: dt(runtime.Uint2), Dims: []int64{5}, Int32Data: []int32{1}}, "want 2"},
		{&onnxpb.TensorProto{DataType: proto.Int32(99), Dims: []int64{1}, RawData: []byte{1}}, "data type 99"},
		{&onnxpb.TensorProto{DataType: dt(runtime.String), Dims: []int64{1}, RawData: []byte{1}}, "raw_data"},
		{&onnxpb.TensorProto{DataType: dt(runtime.Float32), Dims: []int64{1}, FloatData: []float32{1},
			Segment: &onnxpb.TensorProto_Segment{Begin: proto.Int64(0), End: proto.Int64(1)}}, "segment"},
		{&onnxpb.TensorProto{DataType: dt(runtime.Float32), Dims: []int64{1}, DataLocation: onnxpb.TensorProto_EXTERNAL.Enum(),
			ExternalData: []*onnxpb.StringStringEntryProto{{Key: proto.String("location"), Value: proto.String("w.bin")}}}, "folder is unknown"},
	}
	for i, c := range cases {
		c.tp.Name = proto.String("w")
		_, err := Decode(encode(t, constModel(c.tp)), "", "t.onnx")
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), `tensor "w"`) || !strings.HasPrefix(err.Error(), "t.onnx: ") {
			t.Errorf("case %d: error %v, want one naming the file and tensor and containing %q", i, err, c.want)
		}
	}
}

func TestSparseErrors(t *testing.T) {
	for _, c := range []struct {
		sp   *onnxpb.SparseTensorProto
		want string
	}{
		{&onnxpb.SparseTensorProto{Values: tF32("s", []int64{1}, 1), Indices: tI64("i", []int64{1}, 6), Dims: []int64{2, 3}}, "out of range"},
		{&onnxpb.SparseTensorProto{Values: tF32("s", []int64{1}, 1), Indices: tI64("i", []int64{1, 2}, 0, 3), Dims: []int64{2, 3}}, "out of range"},
		{&onnxpb.SparseTensorProto{Values: tF32("s", []int64{1}, 1), Indices: tI64("i", []int64{1}, 0), Dims: []int64{1 << 20, 1 << 20}}, "more than onnxc allows"},
		{&onnxpb.SparseTensorProto{Values: tF32("s", []int64{1}, 1), Dims: []int64{2}}, "lacks"},
	} {
		g := graphOf("g", nil, nil, ins("s"))
		g.SparseInitializer = []*onnxpb.SparseTensorProto{c.sp}
		_, err := Decode(encode(t, modelOf(7, 13, g)), "", "s.onnx")
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("error %v, want %q", err, c.want)
		}
	}
}

// writeExternalModel writes a model whose initializer w (float32[n]) lives in an external file,
// and returns the model's path.
func writeExternalModel(t *testing.T, dir, loc string, n int64, kv ...string) string {
	t.Helper()
	tp := &onnxpb.TensorProto{Name: proto.String("w"), DataType: proto.Int32(int32(runtime.Float32)), Dims: []int64{n},
		DataLocation: onnxpb.TensorProto_EXTERNAL.Enum(),
		ExternalData: []*onnxpb.StringStringEntryProto{{Key: proto.String("location"), Value: proto.String(loc)}}}
	for i := 0; i+1 < len(kv); i += 2 {
		tp.ExternalData = append(tp.ExternalData, &onnxpb.StringStringEntryProto{Key: proto.String(kv[i]), Value: proto.String(kv[i+1])})
	}
	path := filepath.Join(dir, "model.onnx")
	if err := os.WriteFile(path, encode(t, constModel(tp)), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func floatBytes(vals ...float32) []byte {
	b := make([]byte, 4*len(vals))
	for i, v := range vals {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(v))
	}
	return b
}

func TestExternalData(t *testing.T) {
	dir := t.TempDir()
	data := append([]byte("head"), floatBytes(1, 2, 3)...)
	if err := os.MkdirAll(filepath.Join(dir, "weights"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "weights", "w.bin"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	load := func(loc string, n int64, kv ...string) (*ir.Model, error) {
		return Load(writeExternalModel(t, dir, loc, n, kv...))
	}
	m, err := load("weights/w.bin", 3, "offset", "4", "length", "12")
	if err != nil {
		t.Fatal(err)
	}
	if got := runtime.Data[float32](m.Graph.Outputs[0].Const); !reflect.DeepEqual(got, []float32{1, 2, 3}) {
		t.Errorf("data %v", got)
	}
	// Without a length the data runs to the end of the file.
	if _, err := load("./weights/../weights/w.bin", 3, "offset", "4"); err != nil {
		t.Errorf("no length: %v", err)
	}
	// A relative symbolic link that stays inside the folder is fine.
	if err := os.Symlink(filepath.Join("weights", "w.bin"), filepath.Join(dir, "inside.bin")); err != nil {
		t.Fatal(err)
	}
	if _, err := load("inside.bin", 3, "offset", "4"); err != nil {
		t.Errorf("symlink inside: %v", err)
	}

	outside := t.TempDir()
	if err := os.WriteFile(filepath.Join(outside, "secret.bin"), floatBytes(9), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(outside, "secret.bin"), filepath.Join(dir, "escape.bin")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(dir, "escapedir")); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		loc  string
		n    int64
		kv   []string
		want string
	}{
		{filepath.Join(outside, "secret.bin"), 1, nil, "absolute path"},
		{"../" + filepath.Base(outside) + "/secret.bin", 1, nil, "leaves the model's folder"},
		{"weights/../../x.bin", 1, nil, "leaves the model's folder"},
		{"escape.bin", 1, nil, "symbolic link"},
		{"escapedir/secret.bin", 1, nil, "symbolic link"},
		{"missing.bin", 1, nil, "does not exist"},
		{"weights/w.bin", 3, []string{"offset", "8"}, "want 12"},
		{"weights/w.bin", 3, []string{"offset", "8", "length", "12"}, "beyond its end"},
		{"weights/w.bin", 3, []string{"offset", "100"}, "beyond its end"},
		{"weights/w.bin", 1 << 59, []string{"length", "2305843009213693952"}, "beyond its end"},
		{"weights/w.bin", 3, []string{"offset", "-1"}, "invalid external data offset"},
		{"weights/w.bin", 3, []string{"length", "x"}, "invalid external data length"},
		{"weights", 1, nil, "not a regular file"},
	} {
		_, err := load(c.loc, c.n, c.kv...)
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "model.onnx") {
			t.Errorf("%s %v: error %v, want one naming the file and containing %q", c.loc, c.kv, err, c.want)
		}
	}
}

// smallModel is a model with a bit of everything, for corruption and fuzz seeds.
func smallModel() *onnxpb.ModelProto {
	body := graphOf("then", []*onnxpb.NodeProto{nd("Neg", ins("r"), ins("t"))}, nil, ins("t"))
	g := graphOf("g", []*onnxpb.NodeProto{
		nd("Relu", ins("x"), ins("r")),
		nd("Constant", nil, ins("k"), aTensor("value", tF32("", []int64{2}, 1, 2))),
		nd("Add", ins("r", "k"), ins("a")),
		nd("ReduceSum", ins("a"), ins("s"), aInts("axes", 0)),
		nd("If", ins("c"), ins("y"), aGraph("then_branch", body), aGraph("else_branch", body)),
	}, []*onnxpb.ValueInfoProto{vi("x", runtime.Float32, 2), vi("c", runtime.Bool)}, ins("y", "s"),
		&onnxpb.TensorProto{Name: proto.String("w"), DataType: proto.Int32(int32(runtime.Float32)), Dims: []int64{2}, RawData: floatBytes(1, 2)})
	return modelOf(7, 11, g)
}

func TestCorruptInput(t *testing.T) {
	data := encode(t, smallModel())
	if _, err := Decode(data, "", "small.onnx"); err != nil {
		t.Fatalf("the intact model should load: %v", err)
	}
	// Every strict prefix of this model lacks something required.
	for n := 0; n < len(data); n++ {
		_, err := Decode(data[:n], "", "small.onnx")
		if err == nil || !strings.HasPrefix(err.Error(), "small.onnx: ") {
			t.Fatalf("prefix of %d bytes: error %v", n, err)
		}
		if errors.Is(err, errMalformed) {
			t.Fatalf("prefix of %d bytes panicked: %v", n, err)
		}
	}
	// Random corruption must give an error or a model, never a panic.
	rng := rand.New(rand.NewSource(1))
	for i := 0; i < 3000; i++ {
		b := append([]byte(nil), data...)
		for j := 0; j < 1+rng.Intn(4); j++ {
			b[rng.Intn(len(b))] = byte(rng.Intn(256))
		}
		if _, err := Decode(b, "", "small.onnx"); errors.Is(err, errMalformed) {
			t.Fatalf("corruption %d panicked: %v", i, err)
		}
	}
	for _, junk := range [][]byte{nil, []byte("not a model"), {0xff, 0xff, 0xff, 0xff}} {
		if _, err := Decode(junk, "", "junk.onnx"); err == nil || !strings.HasPrefix(err.Error(), "junk.onnx: ") {
			t.Errorf("junk %q: %v", junk, err)
		}
	}
	if _, err := Load(filepath.Join(t.TempDir(), "absent.onnx")); err == nil || !strings.Contains(err.Error(), "absent.onnx") {
		t.Errorf("missing file: %v", err)
	}
}

// TestTruncatedRealModel truncates a real model at many points.
func TestTruncatedRealModel(t *testing.T) {
	dir := modelsDir()
	if dir == "" {
		t.Skip("models folder not found")
	}
	data, err := os.ReadFile(filepath.Join(dir, "silero_vad_v5.onnx"))
	if err != nil {
		t.Skip(err)
	}
	for n := 0; n < len(data); n += 1 + len(data)/500 {
		if _, err := Decode(data[:n], "", "vad.onnx"); err == nil || errors.Is(err, errMalformed) {
			t.Fatalf("prefix of %d bytes: %v", n, err)
		}
	}
}
