package paddle

import (
	"errors"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/onnxc/onnxc/frontend/onnx"
	"github.com/onnxc/onnxc/ir"
	"github.com/onnxc/onnxc/runtime"
)

const testdata = "../../testdata/paddle"

func TestLoadModels(t *testing.T) {
	models := []struct {
		path          string
		inputs, convs int
	}{
		{"ppocr-cls-v2.0", 1, 53},
		{"ppocr-cls-v2.0-reexport", 1, 53},
		{"pir-lcnet-textline-ori", 1, 31},
		{"lite-simple-model", 1, 1},
		// No license stated: only where the shared folder is present.
		{"../../../shared/paddle/dqn-policy", 1, 4},
	}
	for _, tc := range models {
		path := filepath.Join(testdata, tc.path)
		t.Run(filepath.Base(tc.path), func(t *testing.T) {
			if _, err := os.Stat(path); err != nil {
				t.Skip("not present")
			}
			if !Detect(path) {
				t.Fatal("not detected as a Paddle model")
			}
			m, err := Load(path)
			if err != nil {
				t.Fatal(err)
			}
			if err := ir.Verify(m, false); err != nil {
				t.Fatal(err)
			}
			convs := 0
			for _, n := range m.Graph.Nodes {
				if n.Op == "Conv" {
					convs++
				}
			}
			if len(m.Graph.Inputs) != tc.inputs || convs != tc.convs || len(m.Graph.Outputs) == 0 {
				t.Errorf("%d inputs, %d convs, %d outputs; want %d inputs, %d convs", len(m.Graph.Inputs), convs, len(m.Graph.Outputs), tc.inputs, tc.convs)
			}
		})
	}
}

// The cls model's convolution weights must be bit-identical to those in paddle2onnx's export of
// it (which renamed them): that proves the params reader.
func TestParamsMatchONNXExport(t *testing.T) {
	onnxModel, err := onnx.Load("../../testdata/quickstart/cls.onnx")
	if err != nil {
		t.Fatal(err)
	}
	exported := map[string]bool{}
	for _, c := range onnxModel.Graph.Consts {
		if len(c.Const.Shape) == 4 {
			exported[string(c.Const.Bytes())] = true
		}
	}
	m, err := Load(filepath.Join(testdata, "ppocr-cls-v2.0"))
	if err != nil {
		t.Fatal(err)
	}
	convs, same := 0, 0
	for _, c := range m.Graph.Consts {
		if len(c.Const.Shape) != 4 || c.Const.DType != runtime.Float32 {
			continue
		}
		convs++
		if exported[string(c.Const.Bytes())] {
			same++
		} else {
			t.Errorf("%s %v is not among the export's weights", c.Name, c.Const.Shape)
		}
	}
	if convs != 53 || same != 53 {
		t.Errorf("%d of %d conv weights match, want 53 of 53", same, convs)
	}
}

// Every vendored program parses; the ones with ops onnxc cannot map list exactly those.
func TestProgramOnly(t *testing.T) {
	want := map[string][]string{
		"PP-DocLayout-S_pir": {"multiclass_nms3"},
		"UVDoc":              {"pad3d"},
		"ch_ppstructure_mobile_v2.0_SLANet_infer": {"assign_value", "nearest_interp_v2"},
	}
	dirs, _ := filepath.Glob(filepath.Join(testdata, "program-only", "*"))
	if len(dirs) == 0 {
		t.Skip("no programs")
	}
	for _, dir := range dirs {
		name := filepath.Base(dir)
		t.Run(name, func(t *testing.T) {
			_, err := Load(dir)
			if !errors.Is(err, ErrNoParams) {
				t.Fatalf("want a missing-parameters error, got %v", err)
			}
			m, err := LoadWith(dir, Options{ProgramOnly: true})
			var ue *UnsupportedOpsError
			switch {
			case errors.As(err, &ue):
				types := map[string]bool{}
				for _, o := range ue.Ops {
					types[o.Type] = true
				}
				var got []string
				for k := range types {
					got = append(got, k)
				}
				sort.Strings(got)
				if strings.Join(got, ",") != strings.Join(want[name], ",") {
					t.Errorf("unmapped %v, want %v", got, want[name])
				}
			case err != nil:
				t.Fatal(err)
			default:
				if len(want[name]) > 0 {
					t.Errorf("loaded, but %v should be unmapped", want[name])
				}
				if err := ir.Verify(m, false); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}

func TestBadFiles(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(testdata, "lite-simple-model")
	prog, err := os.ReadFile(filepath.Join(src, "model.pdmodel"))
	if err != nil {
		t.Fatal(err)
	}
	params, err := os.ReadFile(filepath.Join(src, "model.pdiparams"))
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name          string
		prog, params  []byte
		wantInMessage string
	}{
		{"truncated-params", prog, params[:len(params)-7], "model.pdiparams"},
		{"extra-params", prog, append(append([]byte{}, params...), 1, 2, 3), "bytes left"},
		{"garbage-program", []byte("\xff\xff\xff\xff not a program"), params, "model.pdmodel"},
		{"truncated-program", prog[:len(prog)/2], params, "model.pdmodel"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := filepath.Join(dir, tc.name)
			os.MkdirAll(d, 0o755)
			os.WriteFile(filepath.Join(d, "model.pdmodel"), tc.prog, 0o644)
			os.WriteFile(filepath.Join(d, "model.pdiparams"), tc.params, 0o644)
			_, err := Load(filepath.Join(d, "model.pdmodel"))
			if err == nil || !strings.Contains(err.Error(), tc.wantInMessage) {
				t.Errorf("got %v, want an error mentioning %q", err, tc.wantInMessage)
			}
		})
	}
}

func FuzzParams(f *testing.F) {
	data, err := os.ReadFile(filepath.Join(testdata, "lite-simple-model", "model.pdiparams"))
	if err == nil {
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		r := paramReader{b: b}
		for i := 0; i < 64 && !r.done(); i++ {
			if _, err := r.next(); err != nil {
				return
			}
		}
	})
}

func FuzzProgram(f *testing.F) {
	data, err := os.ReadFile(filepath.Join(testdata, "lite-simple-model", "model.pdmodel"))
	if err == nil {
		f.Add(data)
	}
	// In memory, as FuzzPIR: a file per input made the fuzzed path slow, and LoadWith's
	// recover would hide a panic the lowering must not have. Run it as scripts/fuzz.sh does,
	// with -fuzzminimizetime 200x: go test's default minimizes every new input of this 9 KB
	// seed for 60 s, during which the progress line shows 0 execs/sec (about 8,000 a second
	// here otherwise).
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = lowerProgram("fuzz.pdmodel", b, nil)
	})
}

func FuzzPIR(f *testing.F) {
	data, err := os.ReadFile(filepath.Join(testdata, "pir-lcnet-textline-ori", "inference.json"))
	if err == nil {
		f.Add(data)
	}
	f.Add([]byte(`{"base_code":{"magic":"pir"},"program":{"regions":[{"blocks":[{"ops":[{"#":"1.relu","I":[{"%":5}],"O":[{"%":6}]}]}]}]}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = lowerPIR("fuzz.json", b, nil)
	})
}
