package ops

import (
	"github.com/onnxc/onnxc/ir"
	"github.com/onnxc/onnxc/lowered"
)

func init() {
	Register(&Def{
		Op: "Identity", Elems: elemsSame, MinIn: 1, MaxIn: 1, MinOut: 1, MaxOut: 1,
		Doc:   "copy of the input",
		Infer: SameAsInput,
		Lower: func(n *ir.Node) (Call, error) { return K(lowered.Identity, &struct{}{}), nil },
	})
}
