package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/onnxc/onnxc/frontend/onnx/onnxpb"
)

// valueInfo declares a tensor of type et and the given dims.
func valueInfo(name string, et onnxpb.TensorProto_DataType, dims ...int64) *onnxpb.ValueInfoProto {
	var d []*onnxpb.TensorShapeProto_Dimension
	for _, n := range dims {
		d = append(d, &onnxpb.TensorShapeProto_Dimension{Value: &onnxpb.TensorShapeProto_Dimension_DimValue{DimValue: n}})
	}
	tt := &onnxpb.TypeProto_Tensor{ElemType: proto.Int32(int32(et)), Shape: &onnxpb.TensorShapeProto{Dim: d}}
	return &onnxpb.ValueInfoProto{Name: proto.String(name), Type: &onnxpb.TypeProto{Value: &onnxpb.TypeProto_TensorType{TensorType: tt}}}
}

func nodeProto(op string, in, out []string, attrs ...*onnxpb.AttributeProto) *onnxpb.NodeProto {
	return &onnxpb.NodeProto{OpType: proto.String(op), Input: in, Output: out, Attribute: attrs}
}

// modelBytes is g as an opset-17 model.
func modelBytes(g *onnxpb.GraphProto) []byte {
	m := &onnxpb.ModelProto{IrVersion: proto.Int64(8), Graph: g, OpsetImport: []*onnxpb.OperatorSetIdProto{{Domain: proto.String(""), Version: proto.Int64(17)}}}
	b, err := proto.Marshal(m)
	if err != nil {
		panic(err)
	}
	return b
}

// gemmModel is one float32 MatMul of two n x n inputs: a single kernel that runs for a
// second or so, to cancel in the middle.
func gemmModel(n int64) []byte {
	return modelBytes(&onnxpb.GraphProto{
		Name:   proto.String("gemm"),
		Input:  []*onnxpb.ValueInfoProto{valueInfo("a", onnxpb.TensorProto_FLOAT, n, n), valueInfo("b", onnxpb.TensorProto_FLOAT, n, n)},
		Output: []*onnxpb.ValueInfoProto{valueInfo("y", onnxpb.TensorProto_FLOAT, n, n)},
		Node:   []*onnxpb.NodeProto{nodeProto("MatMul", []string{"a", "b"}, []string{"y"})},
	})
}

// loopModel is an ONNX model whose Loop adds 1 to a float32[256] n times, n an int64 input: a
// run as long as the caller asks for, to cancel.
func loopModel() []byte {
	tensor, node := valueInfo, nodeProto
	one := &onnxpb.TensorProto{Name: proto.String("one"), DataType: proto.Int32(int32(onnxpb.TensorProto_FLOAT)), Dims: []int64{1}, FloatData: []float32{1}}
	body := &onnxpb.GraphProto{
		Name:   proto.String("body"),
		Input:  []*onnxpb.ValueInfoProto{tensor("i", onnxpb.TensorProto_INT64), tensor("c", onnxpb.TensorProto_BOOL), tensor("x_in", onnxpb.TensorProto_FLOAT, 256)},
		Output: []*onnxpb.ValueInfoProto{tensor("c_out", onnxpb.TensorProto_BOOL), tensor("x_out", onnxpb.TensorProto_FLOAT, 256)},
		Node: []*onnxpb.NodeProto{
			node("Identity", []string{"c"}, []string{"c_out"}),
			node("Constant", nil, []string{"one_b"}, &onnxpb.AttributeProto{Name: proto.String("value"), Type: onnxpb.AttributeProto_TENSOR.Enum(), T: one}),
			node("Add", []string{"x_in", "one_b"}, []string{"x_out"}),
		},
	}
	yes := &onnxpb.TensorProto{Name: proto.String("yes"), DataType: proto.Int32(int32(onnxpb.TensorProto_BOOL)), Int32Data: []int32{1}}
	g := &onnxpb.GraphProto{
		Name:        proto.String("loop"),
		Input:       []*onnxpb.ValueInfoProto{tensor("n", onnxpb.TensorProto_INT64), tensor("x", onnxpb.TensorProto_FLOAT, 256)},
		Output:      []*onnxpb.ValueInfoProto{tensor("y", onnxpb.TensorProto_FLOAT, 256)},
		Initializer: []*onnxpb.TensorProto{yes},
		Node: []*onnxpb.NodeProto{node("Loop", []string{"n", "yes", "x"}, []string{"y"},
			&onnxpb.AttributeProto{Name: proto.String("body"), Type: onnxpb.AttributeProto_GRAPH.Enum(), G: body})},
	}
	return modelBytes(g)
}

// TestConcurrentRunsRace runs one Model from many goroutines at once, each with its own inputs,
// under the race detector: every result equals the same input's sequential run, bit for bit
// (cls; and when fetched PP-OCRv4 rec, float32 and int8, and silero VAD with its If regions and
// LSTM state). A cancelled context stops a Loop that would otherwise run for hours, with
// context.Canceled.
func TestConcurrentRunsRace(t *testing.T) {
	if testing.Short() {
		t.Skip("builds real models under -race")
	}
	if out, err := exec.Command("go", "env", "CGO_ENABLED").Output(); err != nil || strings.TrimSpace(string(out)) != "1" {
		t.Fatalf("the race detector needs cgo and a C compiler (CGO_ENABLED=%s, %v): install gcc", strings.TrimSpace(string(out)), err)
	}
	app := t.TempDir()
	loop := filepath.Join(app, "loop.onnx")
	if err := os.WriteFile(loop, loopModel(), 0o644); err != nil {
		t.Fatal(err)
	}
	gemm := filepath.Join(app, "gemm.onnx")
	if err := os.WriteFile(gemm, gemmModel(2048), 0o644); err != nil {
		t.Fatal(err)
	}
	models := []struct {
		pkg, file string
		shapes    []string
		flags     []string
	}{
		{"cls", abs(t, filepath.Join(quickstart, "cls.onnx")), []string{"x=1x3x48x192"}, nil},
		{"rec", abs(t, "../../testdata/models/ch_PP-OCRv4_rec_infer.onnx"), []string{"x=1x3x48x320"}, nil},
		{"recint8", abs(t, "../../testdata/models/ch_PP-OCRv4_rec_infer.onnx"), []string{"x=1x3x48x320"}, []string{"--quantize", "dynamic"}},
		{"silero", abs(t, "../../testdata/models/silero_vad_v5.onnx"), []string{"input=1x512", "state=2x1x128"}, nil},
	}
	var imports, cases []string
	for _, m := range models {
		if !buildAppPackage(t, app, m.pkg, m.file, m.shapes, m.flags) {
			continue
		}
		imports = append(imports, `	"example.com/app/`+m.pkg+`"`)
		cases = append(cases, `	t.Run("`+m.pkg+`", func(t *testing.T) {
		m, err := `+m.pkg+`.New(`+m.pkg+`.WithThreads(2))
		if err != nil {
			t.Fatal(err)
		}
		defer m.Close()
		concurrent(t, m, `+m.pkg+`.InputDTypes, `+m.pkg+`.InputShapes)
	})
`)
	}
	buildAppPackage(t, app, "loop", loop, nil, nil)
	buildAppPackage(t, app, "gemm", gemm, nil, nil)
	testApp(t, app, "concurrent_test.go", `package main

import (
	"context"
	"errors"
	"math/rand"
	"sync"
	"testing"
	"time"

`+strings.Join(imports, "\n")+`
	"example.com/app/gemm"
	"example.com/app/loop"
	"github.com/onnxc/onnxc/runtime"
)

type model interface {
	RunTensors(context.Context, []*runtime.Tensor) ([]*runtime.Tensor, error)
}

// inputs are random inputs of the model's types and shapes, different for each seed.
func inputs(dtypes []runtime.DType, shapes [][]int, seed int64) []*runtime.Tensor {
	rng := rand.New(rand.NewSource(seed))
	var ins []*runtime.Tensor
	for i, dt := range dtypes {
		x := runtime.New(dt, shapes[i]...)
		switch dt {
		case runtime.Float32:
			for j := range runtime.Data[float32](x) {
				runtime.Data[float32](x)[j] = rng.Float32()
			}
		case runtime.Int64: // silero's sample rate
			for j := range runtime.Data[int64](x) {
				runtime.Data[int64](x)[j] = 16000
			}
		}
		ins = append(ins, x)
	}
	return ins
}

// concurrent runs m from 8 goroutines, 4 runs each over 4 different inputs, against each
// input's sequential result.
func concurrent(t *testing.T, m model, dtypes []runtime.DType, shapes [][]int) {
	ctx := context.Background()
	const distinct = 4
	var ins, want [distinct][]*runtime.Tensor
	for k := range ins {
		ins[k] = inputs(dtypes, shapes, int64(k+1))
		var err error
		if want[k], err = m.RunTensors(ctx, ins[k]); err != nil {
			t.Fatal(err)
		}
	}
	if err := runtime.Compare(want[0][0], want[1][0], 0, 0); err == nil {
		t.Fatal("two different inputs give the same output: the check below would prove nothing")
	}
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 4; i++ {
				k := (g + i) % distinct
				got, err := m.RunTensors(ctx, ins[k])
				if err != nil {
					t.Error(err)
					return
				}
				for j := range got {
					if err := runtime.Compare(want[k][j], got[j], 0, 0); err != nil {
						t.Errorf("goroutine %d, input %d, output %d: %v", g, k, j, err)
						return
					}
				}
			}
		}()
	}
	wg.Wait()
}

func TestConcurrentRuns(t *testing.T) {
`+strings.Join(cases, "")+`}

func TestCancelStopsLoop(t *testing.T) {
	m, err := loop.New(loop.WithThreads(2))
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	n := runtime.New(runtime.Int64)
	x := runtime.New(runtime.Float32, 256)
	runtime.Data[int64](n)[0] = 3
	out, err := m.Run(context.Background(), loop.Inputs{N: n, X: x})
	if err != nil {
		t.Fatal(err)
	}
	if got := runtime.Data[float32](out.Y)[255]; got != 3 {
		t.Fatalf("3 trips of +1 give %v, want 3", got)
	}
	// About 10^12 trips: hours, unless the cancellation stops it.
	runtime.Data[int64](n)[0] = 1 << 40
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := m.Run(ctx, loop.Inputs{N: n, X: x})
		done <- err
	}()
	time.Sleep(50 * time.Millisecond)
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("cancelled run returned %v, want context.Canceled", err)
		}
		t.Logf("cancelled run: %v", err)
	case <-time.After(2 * time.Minute):
		t.Fatal("a cancelled run did not stop")
	}
	// The model still works after a cancelled run.
	runtime.Data[int64](n)[0] = 2
	if out, err = m.Run(context.Background(), loop.Inputs{N: n, X: x}); err != nil || runtime.Data[float32](out.Y)[0] != 2 {
		t.Fatalf("after the cancelled run: %v, %v", err, out.Y)
	}
}

// TestCancelStopsKernel cancels a run of one long MatMul kernel part way: the kernel stops
// between its tiles and the run returns context.Canceled, not a half-computed product.
func TestCancelStopsKernel(t *testing.T) {
	m, err := gemm.New(gemm.WithThreads(2))
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	a, b := runtime.New(runtime.Float32, 2048, 2048), runtime.New(runtime.Float32, 2048, 2048)
	for i := range runtime.Data[float32](a) {
		runtime.Data[float32](a)[i] = 1
		runtime.Data[float32](b)[i] = 1
	}
	start := time.Now()
	out, err := m.Run(context.Background(), gemm.Inputs{A: a, B: b})
	if err != nil {
		t.Fatal(err)
	}
	full := time.Since(start)
	if got := runtime.Data[float32](out.Y)[2048*2048-1]; got != 2048 {
		t.Fatalf("y[2047][2047] = %v, want 2048", got)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := m.Run(ctx, gemm.Inputs{A: a, B: b})
		done <- err
	}()
	time.Sleep(full / 10)
	cancel()
	stop := time.Now()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("cancelled run returned %v, want context.Canceled", err)
		}
		t.Logf("a full run takes %v; cancelled at a tenth of that, it returned %v later", full, time.Since(stop))
	case <-time.After(2 * time.Minute):
		t.Fatal("a cancelled run did not stop")
	}
}
`, "-race")
}
