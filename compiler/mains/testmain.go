//go:build ignore

// This is the main program of `onnxc test`: it links many generated packages at once (the
// compiler fills in the imports and the table), reads jobs from stdin, one per line
// "CASE<TAB>SETDIR<TAB>RTOL<TAB>ATOL", and prints one "RESULT" line per job.
package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	rt "github.com/onnxc/onnxc/runtime"
	//IMPORTS
)

type runner interface {
	RunTensors(ctx context.Context, ins []*rt.Tensor) ([]*rt.Tensor, error)
}

// model is a linked case: its constructor and the declared kinds of its inputs and outputs,
// which decide how the .pb files are read (sequence and optional files look alike).
type model struct {
	new       func() (runner, error)
	ins, outs []rt.ValueKind
}

var models = map[string]model{
	//TABLE
}

func main() {
	sc := bufio.NewScanner(os.Stdin)
	for sc.Scan() {
		f := strings.Split(sc.Text(), "\t")
		if len(f) != 4 {
			continue
		}
		rtol, _ := strconv.ParseFloat(f[2], 64)
		atol, _ := strconv.ParseFloat(f[3], 64)
		err := runCase(f[0], f[1], rtol, atol)
		msg := "ok"
		if err != nil {
			msg = strings.ReplaceAll(err.Error(), "\n", " | ")
		}
		fmt.Printf("RESULT\t%s\t%s\t%s\n", f[0], filepath.Base(f[1]), msg)
	}
}

func runCase(name, dir string, rtol, atol float64) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: %v", r)
		}
	}()
	linked, ok := models[name]
	if !ok {
		return fmt.Errorf("case %s not linked", name)
	}
	m, err := linked.new()
	if err != nil {
		return err
	}
	ins, err := readSet(dir, "input_", linked.ins)
	if err != nil {
		return err
	}
	want, err := readSet(dir, "output_", linked.outs)
	if err != nil {
		return err
	}
	got, err := m.RunTensors(context.Background(), ins)
	if err != nil {
		return err
	}
	if len(got) != len(want) {
		return fmt.Errorf("%d outputs, want %d", len(got), len(want))
	}
	for i := range want {
		if err := rt.CompareValues(want[i], got[i], rtol, atol); err != nil {
			return fmt.Errorf("output %d: %w", i, err)
		}
	}
	return nil
}

func readSet(dir, prefix string, kinds []rt.ValueKind) ([]*rt.Tensor, error) {
	files, _ := filepath.Glob(filepath.Join(dir, prefix+"*.pb"))
	num := func(f string) int {
		n, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(filepath.Base(f), prefix), ".pb"))
		return n
	}
	sort.Slice(files, func(i, j int) bool { return num(files[i]) < num(files[j]) })
	ts := make([]*rt.Tensor, len(files))
	for i, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		kind := rt.TensorValue
		if i < len(kinds) {
			kind = kinds[i]
		}
		v, err := rt.ReadValueProto(data, kind)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", filepath.Base(f), err)
		}
		ts[i] = v.AsTensor()
	}
	return ts, nil
}
