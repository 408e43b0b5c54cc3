
Bsoftmax_0.tmp_0J´‚0?–úž>