package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// buildAppPackage compiles model file into package pkg of the app module in app; a fetched model
// that is missing skips (false), or fails the test when the fetched models are required.
func buildAppPackage(t *testing.T, app, pkg, file string, shapes, flags []string) bool {
	t.Helper()
	if _, err := os.Stat(file); err != nil {
		if os.Getenv("ONNXC_REQUIRE_ORT") != "" {
			t.Fatalf("%s is missing: run scripts/fetch-models.sh", file)
		}
		t.Logf("skipping %s: %s is missing (run scripts/fetch-models.sh)", pkg, file)
		return false
	}
	args := append([]string{"build", file, "-o", pkg, "-pkg", pkg}, flags...)
	for _, s := range shapes {
		args = append(args, "--shape", s)
	}
	if out, errOut, code := onnxc(t, app, args...); code != 0 {
		t.Fatalf("onnxc build %s: %s%s", pkg, out, errOut)
	}
	return true
}

// TestNoAllocsWhenWarmThreads extends TestGoGenerate's TestNoAllocsWhenWarm to the thread pool:
// a warm RunInto on real models (cls, and when fetched PP-OCRv4 rec, silero VAD with its If
// regions and LSTMs, hello_deepa's small GEMMs, and the torch exports resnet18 and the
// encoder) allocates nothing at 1, 2 and 4 threads.
// The generated app's test counts allocations with a memory profile of the warm runs, so a
// failure names the allocating functions.
func TestNoAllocsWhenWarmThreads(t *testing.T) {
	if testing.Short() {
		t.Skip("builds real models")
	}
	app := t.TempDir()
	// inputs is the Go expression of the model's Inputs fields, from the app's helpers.
	models := []struct {
		pkg, file string
		shapes    []string
		inputs    string
		flags     []string // more build flags
	}{
		{"cls", abs(t, filepath.Join(quickstart, "cls.onnx")), []string{"x=1x3x48x192"}, "X: random(1, 3, 48, 192)", nil},
		{"rec", abs(t, "../../testdata/models/ch_PP-OCRv4_rec_infer.onnx"), []string{"x=1x3x48x320"}, "X: random(1, 3, 48, 320)", nil},
		// The int8 kernels (A quantized per run into the Exec's scratch).
		{"recint8", abs(t, "../../testdata/models/ch_PP-OCRv4_rec_infer.onnx"), []string{"x=1x3x48x320"}, "X: random(1, 3, 48, 320)", []string{"--quantize", "dynamic"}},
		{"recrow", abs(t, "../../testdata/models/ch_PP-OCRv4_rec_infer.onnx"), []string{"x=1x3x48x320"}, "X: random(1, 3, 48, 320)",
			[]string{"--quantize", "dynamic", "--per-row", "--per-channel", "--quantize-ops", "Conv,MatMul"}},
		{"silero", abs(t, "../../testdata/models/silero_vad_v5.onnx"), []string{"input=1x512", "state=2x1x128"},
			"Input: random(1, 512), State: random(2, 1, 128), Sr: scalarInt64(16000)", nil},
		{"lstmint8", abs(t, "../../testdata/models/lstm.onnx"), []string{"x=20x1x32"}, "X: random(20, 1, 32)", []string{"--quantize", "dynamic", "--quantize-ops", "LSTM,MatMul"}},
		{"deepa", abs(t, "../../testdata/models/hello_deepa.onnx"), []string{"onnx::Flatten_0=1x25x96"}, "OnnxFlatten0: random(1, 25, 96)", nil},
		// The blocked convolutions, Winograd's and the head's pooling; attention's strided
		// products, with views resolved at compile time and (without --shape) per call.
		{"resnet", abs(t, "../../testdata/models/resnet18.onnx"), []string{"input=1x3x224x224"}, "Input: random(1, 3, 224, 224)", nil},
		{"encoder", abs(t, "../../testdata/models/encoder.onnx"), []string{"x=1x64x384"}, "X: random(1, 64, 384)", nil},
		{"encodersym", abs(t, "../../testdata/models/encoder.onnx"), nil, "X: random(1, 64, 384)", nil},
	}
	var imports, cases []string
	for _, m := range models {
		if !buildAppPackage(t, app, m.pkg, m.file, m.shapes, m.flags) {
			continue
		}
		imports = append(imports, `	"example.com/app/`+m.pkg+`"`)
		cases = append(cases, `	t.Run("`+m.pkg+`", func(t *testing.T) {
		for _, threads := range []int{1, 2, 4} {
			m, err := `+m.pkg+`.New(`+m.pkg+`.WithThreads(threads))
			if err != nil {
				t.Fatal(err)
			}
			in := `+m.pkg+`.Inputs{`+m.inputs+`}
			var out `+m.pkg+`.Outputs
			check(t, threads, func() error { return m.RunInto(context.Background(), in, &out) })
			m.Close()
		}
	})
`)
	}
	testApp(t, app, "allocs_test.go", `package main

import (
	"context"
	"math/rand"
	goruntime "runtime"
	"strings"
	"testing"

`+strings.Join(imports, "\n")+`
	"github.com/onnxc/onnxc/runtime"
)

func random(shape ...int) *runtime.Tensor {
	x := runtime.New(runtime.Float32, shape...)
	rng := rand.New(rand.NewSource(1))
	for i := range runtime.Data[float32](x) {
		runtime.Data[float32](x)[i] = rng.Float32()
	}
	return x
}

func scalarInt64(v int64) *runtime.Tensor {
	x := runtime.New(runtime.Int64)
	runtime.Data[int64](x)[0] = v
	return x
}

// profile returns the objects allocated so far, per allocating stack (innermost onnxc frames).
func profile() map[string]int64 {
	goruntime.GC()
	goruntime.GC() // the profile lags up to two cycles
	var recs []goruntime.MemProfileRecord
	n, _ := goruntime.MemProfile(nil, true)
	for {
		recs = make([]goruntime.MemProfileRecord, n+50)
		var ok bool
		if n, ok = goruntime.MemProfile(recs, true); ok {
			recs = recs[:n]
			break
		}
	}
	out := map[string]int64{}
	for _, r := range recs {
		frames := goruntime.CallersFrames(r.Stack())
		var names []string
		for {
			f, more := frames.Next()
			if strings.Contains(f.Function, "onnxc") || strings.Contains(f.Function, "example.com") {
				names = append(names, f.Function)
			}
			if !more || len(names) == 3 {
				break
			}
		}
		out[strings.Join(names, " < ")] += r.AllocObjects
	}
	return out
}

func check(t *testing.T, threads int, run func() error) {
	t.Helper()
	for i := 0; i < 3; i++ {
		if err := run(); err != nil {
			t.Fatal(err)
		}
	}
	allocs := testing.AllocsPerRun(10, func() {
		if err := run(); err != nil {
			t.Fatal(err)
		}
	})
	t.Logf("threads=%d: %v allocations per warm run", threads, allocs)
	if allocs == 0 {
		return
	}
	// Which functions allocate: a profile of every allocation in a few warm runs.
	old := goruntime.MemProfileRate
	goruntime.MemProfileRate = 1
	defer func() { goruntime.MemProfileRate = old }()
	before := profile()
	const runs = 5
	for i := 0; i < runs; i++ {
		run()
	}
	var other int64
	for stack, n := range profile() {
		d := n - before[stack]
		if d <= 0 || stack == "" || strings.Contains(stack, "example.com/app.profile") {
			continue // not the model's: the profile's own, or the Go runtime's and testing's
		}
		other += d
		t.Logf("threads=%d: %.1f allocations per warm run in %s", threads, float64(d)/runs, stack)
	}
	// Like AllocsPerRun, whole allocations per run: the Go runtime itself may allocate now and
	// then (a sudog for a blocking channel receive after a GC emptied its cache).
	if other/runs > 0 {
		t.Errorf("threads=%d: a warm run allocates %v times", threads, allocs)
	}
}

func TestNoAllocsWhenWarm(t *testing.T) {
`+strings.Join(cases, "")+`}
`)
}

// testApp writes an app module in app (this checkout as github.com/onnxc/onnxc, an empty main,
// and test file name with src) and runs its tests with flags.
func testApp(t *testing.T, app, name, src string, flags ...string) {
	t.Helper()
	files := map[string]string{
		"go.mod":  "module example.com/app\n\ngo 1.26\n\nrequire github.com/onnxc/onnxc v0.0.0\n\nreplace github.com/onnxc/onnxc => " + repoRoot(t) + "\n",
		"main.go": "package main\n\nfunc main() {}\n",
		name:      src,
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(app, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command("go", append(append([]string{"test"}, flags...), "-v", "-count=1", ".")...)
	cmd.Dir = app
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOWORK=off")
	out, err := cmd.CombinedOutput()
	t.Logf("app tests %v:\n%s", flags, out)
	if err != nil {
		t.Fatalf("go test %v: %v", flags, err)
	}
}
