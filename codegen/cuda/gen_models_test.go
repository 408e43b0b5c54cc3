package cuda_test

import (
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"

	"github.com/onnxc/onnxc/codegen/cuda"
	"github.com/onnxc/onnxc/compiler"
	"github.com/onnxc/onnxc/lowered"
	"github.com/onnxc/onnxc/ops"
)

// TestModelKernels lowers the real models with the shapes the benchmarks use, generates every
// kernel that has a generator (sm_80 and sm_90, exact and TF32), assembles each module with
// ptxas and reports how many kernels run on the GPU and which stay on the CPU path.
func TestModelKernels(t *testing.T) {
	models := []struct {
		file  string
		shape map[string][]int
	}{
		{"ch_ppocr_mobile_v2.0_cls_infer.onnx", map[string][]int{"x": {1, 3, 48, 192}}},
		{"ch_PP-OCRv4_rec_infer.onnx", map[string][]int{"x": {1, 3, 48, 320}}},
		{"ch_PP-OCRv4_det_infer.onnx", map[string][]int{"x": {1, 3, 320, 320}}},
		{"resnet18.onnx", map[string][]int{"input": {1, 3, 224, 224}}},
		{"encoder.onnx", map[string][]int{"x": {1, 64, 384}}},
	}
	ptxas := cuda.PtxasPath()
	if ptxas == "" {
		cuda.NoPtxas(t)
	}
	for _, md := range models {
		t.Run(md.file, func(t *testing.T) {
			path := "../../testdata/models/" + md.file
			if _, err := os.Stat(path); err != nil {
				t.Skipf("model absent: %v", err)
			}
			m, err := compiler.Compile(path, compiler.Options{Shapes: md.shape})
			if err != nil {
				t.Fatal(err)
			}
			prog, err := ops.LowerModel(m)
			if err != nil {
				t.Fatal(err)
			}
			gpu := map[lowered.Entry]int{}
			cpu := map[lowered.Entry]int{}
			// Per target SM, the distinct modules.
			sources := map[int]map[string][]string{80: {}, 90: {}}
			for _, k := range prog.Kernels() {
				taken := false
				for _, tg := range []cuda.Target{{SM: 80}, {SM: 90}, {SM: 80, TF32: true}, {SM: 90, TF32: true}} {
					g, ok, err := cuda.Generate(k, tg)
					if err != nil {
						t.Fatal(err)
					}
					if ok {
						var entries []string
						for _, l := range g.Launches {
							entries = append(entries, l.Entry)
						}
						sources[tg.SM][g.PTX] = entries
					}
					taken = ok
				}
				if taken {
					gpu[k.Entry]++
				} else {
					cpu[k.Entry]++
				}
			}
			n := 0
			for sm, mods := range sources {
				n += len(mods)
				if ptxas != "" {
					if err := cuda.PtxasAssemble(ptxas, sm, oneModule(sm, mods), t.TempDir()); err != nil {
						t.Fatal(err)
					}
				}
			}
			t.Logf("GPU kernels %s; not generated here (elementwise, data movement and the rest) %s; %d distinct modules ptxas-clean", hist(gpu), hist(cpu), n)
		})
	}
}

func hist(h map[lowered.Entry]int) string {
	n := 0
	var parts []string
	for e, c := range h {
		n += c
		parts = append(parts, fmt.Sprintf("%s %d", e, c))
	}
	sort.Strings(parts)
	return fmt.Sprintf("%d (%s)", n, strings.Join(parts, ", "))
}

// oneModule joins modules into one, so that ptxas starts once per model and target rather
// than once per kernel (its start-up is most of its time): each module's header is dropped
// and its module-scope names (its entries, with their parameters, and the rz_ tables of
// Resize) get the module's number, so that they stay distinct.
func oneModule(sm int, mods map[string][]string) string {
	keys := make([]string, 0, len(mods))
	for m := range mods {
		keys = append(keys, m)
	}
	sort.Strings(keys)
	var b strings.Builder
	fmt.Fprintf(&b, ".version 7.8\n.target sm_%d\n.address_size 64\n\n", sm)
	for i, m := range keys {
		body := m[strings.Index(m, "\n\n")+2:]
		for _, e := range mods[m] {
			body = strings.ReplaceAll(body, e, fmt.Sprintf("%s_m%d", e, i))
		}
		b.WriteString(strings.ReplaceAll(body, "rz_", fmt.Sprintf("rz%d_", i)))
	}
	return b.String()
}
