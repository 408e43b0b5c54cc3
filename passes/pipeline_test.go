package passes

import "testing"

func TestPassOrderChecked(t *testing.T) {
	if err := checkOrder(Pipeline); err != nil {
		t.Fatal(err)
	}
	swap := func(i, j int) []Pass {
		p := append([]Pass(nil), Pipeline...)
		p[i], p[j] = p[j], p[i]
		return p
	}
	for i := range Pipeline {
		for j := i + 1; j < len(Pipeline); j++ {
			if err := checkOrder(swap(i, j)); err == nil {
				t.Errorf("swapping %s and %s is not caught", Pipeline[i].Name, Pipeline[j].Name)
			}
		}
	}
	if err := checkOrder(append(append([]Pass(nil), Pipeline...), Pipeline[0])); err == nil {
		t.Error("a pass named twice is not caught")
	}
}
