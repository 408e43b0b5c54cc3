package compiler

import (
	"math/rand"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/onnxc/onnxc/passes"
	"github.com/onnxc/onnxc/runtime"
)

// TestQuantizeONNX writes real models' dynamic quantization as ONNX (onnxc quantize) and checks
// the three ways of running it against each other on the same input:
//
//   - onnxc compiling the written model gives exactly what onnxc's own --quantize build gives
//     (the written chains compile into the same kernels, weights and scales), except where
//     the compiler first folds a BatchNormalization or a per-channel affine map into a
//     convolution's weights and then quantizes the folded weights: the writer quantizes the
//     weights the file holds, as onnxruntime's quantize_dynamic does on a model that was not
//     pre-processed (rec's convolutions; resnet18 as torch exports it has no such maps);
//   - onnxruntime runs the written model, and its outputs agree with onnxc's on it (relative
//     L2 within 1%, 3% for rec's convolutions; argmax per time step on rec within one step). The integer products are
//     exact on both sides (one MatMul alone agrees bit for bit); the difference comes from
//     float32 differences upstream of a requantized activation (LayerNormalization, Softmax,
//     GELU) that move a value across a rounding boundary of DynamicQuantizeLinear;
//   - the decisions (what was quantized, what was left and why) are the compiler's.
//
// The float32 onnxruntime run is the reference for the quantization error, which is logged.
func TestQuantizeONNX(t *testing.T) {
	if testing.Short() {
		t.Skip("interprets real models")
	}
	for _, tc := range []struct {
		name, file, input string
		shape             []int
		opt               passes.QuantizeOptions
		argmax            int  // size of the class axis, 0 for none
		folds             bool // the compiler folds affine maps into quantized conv weights
		// agree bounds the relative L2 difference of onnxc and onnxruntime on the written
		// model: 1%; 3% on rec with its 33 convolutions requantized one after another, where
		// a rounding flip early moves everything after it (its int8 error is itself 12%).
		agree float64
		// quantErr bounds the written model's error against the float32 model, both run by
		// onnxruntime (as TestQuantizeAccuracy bounds onnxc's): a wrong weight or scale in
		// what is written fails it even where onnxc's build is not compared bit for bit.
		quantErr float64
		// vocab, when not 0, makes the input int64 token ids below it instead of floats.
		vocab int64
	}{
		{"encoder", "encoder.onnx", "x", []int{1, 64, 384}, passes.QuantizeOptions{PerChannel: true}, 0, false, 0.01, 0.02, 0},
		{"encoder per tensor reduce-range", "encoder.onnx", "x", []int{1, 64, 384}, passes.QuantizeOptions{ReduceRange: true}, 0, false, 0.01, 0.02, 0},
		{"encoder per tensor", "encoder.onnx", "x", []int{1, 64, 384}, passes.QuantizeOptions{}, 0, false, 0.01, 0.02, 0},
		{"encoder per channel reduce-range", "encoder.onnx", "x", []int{1, 64, 384}, passes.QuantizeOptions{PerChannel: true, ReduceRange: true}, 0, false, 0.01, 0.02, 0},
		// rec is opset 9: the writer moves it to opset 11 (Clip's bounds and Slice's
		// arguments become inputs).
		{"rec", "ch_PP-OCRv4_rec_infer.onnx", "x", []int{1, 3, 48, 320}, passes.QuantizeOptions{PerChannel: true}, 6625, false, 0.01, 0.02, 0},
		{"rec conv", "ch_PP-OCRv4_rec_infer.onnx", "x", []int{1, 3, 48, 320}, passes.QuantizeOptions{PerChannel: true, OpTypes: []string{"Conv", "MatMul"}}, 6625, true, 0.03, 0.2, 0},
		{"resnet18 conv gemm", "resnet18.onnx", "input", []int{1, 3, 224, 224}, passes.QuantizeOptions{PerChannel: true, OpTypes: []string{"Conv", "Gemm"}}, 1000, false, 0.01, 0.05, 0},
		// uint8 weights (quantize_dynamic's QUInt8): asymmetric, with zero points per column.
		{"encoder uint8 per channel", "encoder.onnx", "x", []int{1, 64, 384}, passes.QuantizeOptions{PerChannel: true, WeightType: runtime.Uint8}, 0, false, 0.01, 0.02, 0},
		{"resnet18 conv gemm uint8", "resnet18.onnx", "input", []int{1, 3, 224, 224}, passes.QuantizeOptions{OpTypes: []string{"Conv", "Gemm"}, WeightType: runtime.Uint8}, 1000, false, 0.01, 0.05, 0},
		// An embedding table (Gather) quantized with the products after it, int8 and uint8.
		{"textcls gather", "textcls.onnx", "ids", []int{2, 48}, passes.QuantizeOptions{OpTypes: []string{"Gather", "MatMul", "Gemm"}}, 4, false, 0.01, 0.03, 4000},
		{"textcls gather uint8", "textcls.onnx", "ids", []int{2, 48}, passes.QuantizeOptions{OpTypes: []string{"Gather", "MatMul", "Gemm"}, WeightType: runtime.Uint8, PerChannel: true}, 4, false, 0.01, 0.03, 4000},
		// A torch nn.LSTM (two bidirectional layers), written as com.microsoft.DynamicQuantizeLSTM.
		{"lstm", "lstm.onnx", "x", []int{20, 1, 32}, passes.QuantizeOptions{OpTypes: []string{"LSTM", "MatMul"}}, 10, false, 0.01, 0.03, 0},
		{"lstm per channel", "lstm.onnx", "x", []int{20, 1, 32}, passes.QuantizeOptions{OpTypes: []string{"LSTM", "MatMul"}, PerChannel: true}, 10, false, 0.01, 0.03, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			model, _ := filepath.Abs(filepath.Join("..", "testdata", "models", tc.file))
			needORT(t, model)
			dir := t.TempDir()
			written := filepath.Join(dir, "quantized.onnx")
			wopt := tc.opt
			if err := QuantizeONNX(model, written, &wopt); err != nil {
				t.Fatal(err)
			}
			shapes := map[string][]int{tc.input: tc.shape}
			in := accuracyInput(tc.shape, 1)
			if tc.vocab > 0 {
				in = tokenIDs(tc.shape, tc.vocab, 1)
			}
			copt := tc.opt
			own := interpretModel(t, model, shapes, &copt, in)
			if got, want := remarkSummary(wopt.Remarks), remarkSummary(copt.Remarks); got != want {
				t.Errorf("the writer decided\n%s\nthe compiler\n%s", got, want)
			}
			fromWritten := interpretModel(t, written, shapes, nil, in)
			if tc.folds {
				t.Logf("onnxc on the written model vs onnxc --quantize (folded conv weights): relative L2 %.4f", relL2(fromWritten, own))
			} else {
				for i := range own {
					if fromWritten[i] != own[i] {
						t.Fatalf("onnxc on the written model: output %d = %v, onnxc --quantize: %v", i, fromWritten[i], own[i])
					}
				}
			}
			inFile := filepath.Join(dir, "input_0.pb")
			if err := os.WriteFile(inFile, runtime.WriteTensorProto(tc.input, in), 0o644); err != nil {
				t.Fatal(err)
			}
			ort := func(m, sub string) []float32 {
				out := filepath.Join(dir, sub)
				if err := os.MkdirAll(out, 0o755); err != nil {
					t.Fatal(err)
				}
				ortOutputs(t, m, out, tc.input+"="+inFile)
				return runtime.Data[float32](readTensorFile(t, filepath.Join(out, "output_0.pb")))
			}
			ortInt8, ortFloat := ort(written, "int8"), ort(model, "float")
			e := relL2(fromWritten, ortInt8)
			msg := ""
			if tc.argmax > 0 {
				agree, steps := argmaxAgreement(fromWritten, ortInt8, tc.argmax)
				if agree < steps-1 {
					t.Errorf("argmax of onnxc and onnxruntime on the written model agree on %d of %d steps", agree, steps)
				}
				msg = " argmax " + itoa(agree) + "/" + itoa(steps)
			}
			t.Logf("%d nodes quantized; onnxc vs onnxruntime on the written model: relative L2 %.2e, max |diff| %.2e%s; written int8 vs float32 (onnxruntime): relative L2 %.4f",
				quantizedCount(wopt.Remarks), e, maxAbsDiff(fromWritten, ortInt8), msg, relL2(ortInt8, ortFloat))
			if q := relL2(ortInt8, ortFloat); q > tc.quantErr {
				t.Errorf("the written model's outputs are %.4f off the float32 model's (relative L2), over %.2f", q, tc.quantErr)
			}
			if e > tc.agree {
				t.Errorf("onnxc and onnxruntime on the written model differ: relative L2 %.4f > %.2f", e, tc.agree)
			}
		})
	}
}

// remarkSummary is the decisions as lines "op quantized why", one per node kind and reason,
// with counts; the writer names nodes the ONNX way, the compiler the IR way.
func remarkSummary(rs []passes.QuantizeRemark) string {
	counts := map[string]int{}
	for _, r := range rs {
		if r.Op == "Gather" && !r.Quantized {
			continue // the compiler folds the shape Gathers before it sees them
		}
		counts[r.Op+" "+map[bool]string{true: "quantized", false: "left"}[r.Quantized]+" "+r.Why]++
	}
	var lines []string
	for k, n := range counts {
		lines = append(lines, itoa(n)+" "+k)
	}
	slices.Sort(lines)
	return strings.Join(lines, "\n")
}

func quantizedCount(rs []passes.QuantizeRemark) int {
	n := 0
	for _, r := range rs {
		if r.Quantized {
			n++
		}
	}
	return n
}

// tokenIDs is an int64 tensor of random ids in [0, vocab).
func tokenIDs(shape []int, vocab, seed int64) *runtime.Tensor {
	in := runtime.New(runtime.Int64, shape...)
	rng := rand.New(rand.NewSource(seed))
	for i := range runtime.Data[int64](in) {
		runtime.Data[int64](in)[i] = rng.Int63n(vocab)
	}
	return in
}
