package compiler

import (
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/onnxc/onnxc/runtime"
)

// The real models' tests compare onnxc's generated code with onnxruntime on random inputs.
// scripts/fetch-models.sh brings the models (pinned by sha256) and scripts/setup-ort.sh
// onnxruntime; without them these tests skip, unless ONNXC_REQUIRE_ORT is set (CI sets it).

const ortScript = "../testdata/ort/ort.js"

func needORT(t *testing.T, files ...string) {
	t.Helper()
	missing := ""
	for _, f := range append(files, "../testdata/ort/node_modules/onnxruntime-node") {
		if _, err := os.Stat(f); err != nil {
			missing = f
		}
	}
	if missing == "" {
		return
	}
	if os.Getenv("ONNXC_REQUIRE_ORT") != "" {
		t.Fatalf("%s is missing: run scripts/setup-ort.sh and scripts/fetch-models.sh", missing)
	}
	t.Skipf("%s is missing: run scripts/setup-ort.sh and scripts/fetch-models.sh", missing)
}

// randomInput writes a deterministic random float32 input file.
func randomInput(t *testing.T, path, name string, seed int64, shape ...int) {
	t.Helper()
	x := runtime.New(runtime.Float32, shape...)
	rng := rand.New(rand.NewSource(seed))
	for i := range runtime.Data[float32](x) {
		runtime.Data[float32](x)[i] = rng.Float32()*2 - 1
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, runtime.WriteTensorProto(name, x), 0o644); err != nil {
		t.Fatal(err)
	}
}

// ortOutputs runs onnxruntime on model with the given inputs, writing output_K.pb into dir.
func ortOutputs(t *testing.T, model, dir string, inputs ...string) {
	t.Helper()
	args := append([]string{ortScript, "run", model, dir}, inputs...)
	out, err := exec.Command("node", args...).CombinedOutput()
	if err != nil {
		t.Fatalf("onnxruntime on %s: %v\n%s", model, err, out)
	}
}

type realModel struct {
	name, file, input string
	shape             []int
	// more are further inputs: name, shape, and for int64 scalars a fixed value.
	more []extraInput
	// symbolic: also compiled without pinned shapes (the model's own symbolic dims, shape
	// arithmetic as ShapeValue kernels) and run on the same input.
	symbolic bool
}

// exportedModels are written by scripts/export-torch-models.sh (torch.onnx.export), which needs
// Debian's torch: when one is missing and ONNXC_REQUIRE_ORT is unset, only that model skips.
var exportedModels = map[string]bool{"resnet18.onnx": true, "encoder.onnx": true}

type extraInput struct {
	name  string
	shape []int
	value int64 // for an int64 input
	isInt bool
}

var realModels = []realModel{
	{"cls", "ch_ppocr_mobile_v2.0_cls_infer.onnx", "x", []int{1, 3, 48, 192}, nil, true},
	{"hello_deepa", "hello_deepa.onnx", "", []int{1, 25, 96}, nil, false},
	{"rec", "ch_PP-OCRv4_rec_infer.onnx", "x", []int{1, 3, 48, 320}, nil, true},
	{"det320", "ch_PP-OCRv4_det_infer.onnx", "x", []int{1, 3, 320, 320}, nil, true},
	{"det640", "ch_PP-OCRv4_det_infer.onnx", "x", []int{1, 3, 640, 640}, nil, false},
	// Silero VAD: If subgraphs chosen by the sample rate, an LSTM, a recurrent state.
	{"silero_vad", "silero_vad_v5.onnx", "input", []int{1, 512}, []extraInput{
		{name: "state", shape: []int{2, 1, 128}},
		{name: "sr", value: 16000, isInt: true},
	}, true},
	// torch.onnx.export, as users export: torchvision resnet18 (opset 13) and a 4-layer GELU
	// nn.TransformerEncoder, d_model 384 (opset 17); random weights from a fixed seed.
	{"resnet18", "resnet18.onnx", "input", []int{1, 3, 224, 224}, nil, false},
	{"encoder", "encoder.onnx", "x", []int{1, 64, 384}, nil, true},
}

// TestRealModels compiles the real models with their input shapes pinned, runs the generated
// code and compares with onnxruntime (rtol 1e-3, atol 1e-4).
func TestRealModels(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs real models")
	}
	var cases []Case
	root := t.TempDir()
	for i, rm := range realModels {
		model, _ := filepath.Abs(filepath.Join("..", "testdata", "models", rm.file))
		if _, err := os.Stat(model); err != nil && exportedModels[rm.file] && os.Getenv("ONNXC_REQUIRE_ORT") == "" {
			t.Logf("skipping %s: %s is missing (run scripts/export-torch-models.sh)", rm.name, model)
			continue
		}
		needORT(t, model)
		input := rm.input
		if input == "" {
			m, err := Load(model)
			if err != nil {
				t.Fatal(err)
			}
			input = m.Graph.Inputs[0].Name
		}
		dir := filepath.Join(root, rm.name)
		set := filepath.Join(dir, "test_data_set_0")
		in := filepath.Join(set, "input_0.pb")
		randomInput(t, in, input, int64(i+1), rm.shape...)
		ortArgs := []string{input + "=" + in}
		shapes := map[string][]int{input: rm.shape}
		for k, extra := range rm.more {
			file := filepath.Join(set, fmt.Sprintf("input_%d.pb", k+1))
			if extra.isInt {
				v := runtime.New(runtime.Int64, extra.shape...)
				runtime.Data[int64](v)[0] = extra.value
				if err := os.WriteFile(file, runtime.WriteTensorProto(extra.name, v), 0o644); err != nil {
					t.Fatal(err)
				}
			} else {
				randomInput(t, file, extra.name, int64(100+k), extra.shape...)
			}
			ortArgs = append(ortArgs, extra.name+"="+file)
			shapes[extra.name] = extra.shape
		}
		ortOutputs(t, model, set, ortArgs...)
		cases = append(cases, Case{Name: rm.name, Dir: dir, Model: model, Sets: []string{set}, Shapes: shapes})
		if rm.symbolic {
			cases = append(cases, Case{Name: rm.name + "-symbolic", Dir: dir, Model: model, Sets: []string{set}})
		}
	}
	runRealCases(t, cases)
}

func runRealCases(t *testing.T, cases []Case) {
	t.Helper()
	results, err := RunCases(cases, TestOptions{
		WorkDir:   filepath.Join(os.TempDir(), "onnxc-real-models"),
		Tolerance: func(string) (float64, float64) { return 1e-3, 1e-4 },
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range results {
		if !r.Pass {
			t.Errorf("%s (%s): %s", r.Case.Name, r.Stage, oneLine(r.Msg, 600))
		} else {
			t.Logf("%s matches onnxruntime", r.Case.Name)
		}
	}
}

// TestPaddleModels: the Paddle cls models (same network and weights as the ONNX cls model) must
// give onnxruntime's outputs on the ONNX model; the other Paddle models must compile and run.
func TestPaddleModels(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs real models")
	}
	onnxModel, _ := filepath.Abs("../testdata/quickstart/cls.onnx")
	needORT(t)
	root := t.TempDir()
	set := filepath.Join(root, "oracle", "test_data_set_0")
	in := filepath.Join(set, "input_0.pb")
	randomInput(t, in, "x", 7, 1, 3, 48, 192)
	ortOutputs(t, onnxModel, set, "x="+in)
	var cases []Case
	for _, name := range []string{"ppocr-cls-v2.0", "ppocr-cls-v2.0-reexport"} {
		model, _ := filepath.Abs(filepath.Join("..", "testdata", "paddle", name))
		cases = append(cases, Case{Name: name, Dir: filepath.Dir(set), Model: model, Sets: []string{set}, Shapes: map[string][]int{"x": {1, 3, 48, 192}}})
	}
	runRealCases(t, cases)
}

// TestPaddleCompileAndRun compiles the other Paddle models into binaries and runs them once on
// random inputs (there is no ONNX twin to compare with).
func TestPaddleCompileAndRun(t *testing.T) {
	if testing.Short() {
		t.Skip("builds real models")
	}
	models := []struct {
		path  string
		shape string
	}{
		{"../testdata/paddle/pir-lcnet-textline-ori", "x=1x3x80x160"},
		{"../testdata/paddle/lite-simple-model", "image=1x3x224x224"},
		// Not redistributable (no license stated), so only where the shared folder is present.
		{"../../shared/paddle/dqn-policy", "state=1x4x84x84"},
	}
	ws, err := NewWorkspace(filepath.Join(os.TempDir(), "onnxc-paddle-bins"))
	if err != nil {
		t.Fatal(err)
	}
	for _, pm := range models {
		t.Run(filepath.Base(pm.path), func(t *testing.T) {
			if _, err := os.Stat(pm.path); err != nil {
				t.Skipf("%s not present", pm.path)
			}
			name, dims, err := ParseShape(pm.shape)
			if err != nil {
				t.Fatal(err)
			}
			m, err := Compile(pm.path, Options{Shapes: map[string][]int{name: dims}, Verify: true})
			if err != nil {
				t.Fatal(err)
			}
			files, err := Generate(m, "model", pm.path)
			if err != nil {
				t.Fatal(err)
			}
			bin := filepath.Join(t.TempDir(), "model")
			if err := ws.BuildBinary(files, bin); err != nil {
				t.Fatal(err)
			}
			out, err := exec.Command(bin, "-bench", "-runs", "1", "-threads", "1", "-shape", pm.shape).CombinedOutput()
			if err != nil || !strings.Contains(string(out), "median_ms=") {
				t.Fatalf("%v: %s", err, out)
			}
		})
	}
}
