// The one registry of user-facing diagnostics. Every error mdl can report has a code here,
// a one-line title (docs/language.md lists them all), and a default hint where one helps.
// Codes are grouped by the stage that reports them:
//   MDL1xxx lexing and parsing      MDL2xxx names and scopes     MDL3xxx calls, arity and types
//   MDL4xxx shapes                  MDL5xxx imports and files    MDL6xxx compile-time evaluation
//   MDL7xxx command line            MDL9xxx internal invariants (always a bug in mdl)
//   MDL80xx architecture search (compiler/search/, mdl search)
//   MDL85xx Rashomon set exploration (compiler/rashomon/, mdl rashomon)
//   MDL87xx anytime networks (compiler/anytime/, mdl summary --anytime, anytime training)

export interface DiagnosticInfo {
  readonly title: string;
  readonly hint?: string;
}

export const DIAGNOSTICS = {
  MDL1001: { title: 'unexpected character' },
  MDL1002: { title: 'unterminated string literal', hint: 'close the string with a matching quote on the same line' },
  MDL1003: { title: 'syntax error' },
  MDL1004: { title: 'missing token' },
  MDL1005: { title: 'invalid number literal' },
  MDL1006: {
    title: 'invalid string interpolation',
    hint: 'write `{expr}` inside a string, and `{{` or `}}` for literal braces',
  },
  MDL1007: {
    title: 'nesting too deep',
    hint: 'name intermediate values with assignments instead of nesting them',
  },
  MDL1008: {
    title: 'too many syntax errors',
    hint: 'fix the errors reported above and check the file again',
  },
  MDL1009: {
    title: 'source file too long',
    hint: 'split it into files that import each other (each file is parsed on its own)',
  },

  MDL2001: { title: 'unknown name' },
  MDL2002: { title: 'unknown op or block' },
  MDL2003: { title: 'duplicate definition' },
  MDL2004: { title: 'duplicate layer name', hint: 'give one of the layers another name with `as "…"`' },
  MDL2005: { title: 'unknown model' },
  MDL2006: { title: 'no model in file', hint: 'declare one with `model name(x: Tensor[B, …]) { … }`' },
  MDL2007: { title: 'shared layer not found' },
  MDL2008: { title: 'name shadows a builtin' },
  MDL2009: { title: 'unknown member of a namespace' },
  MDL2010: { title: 'block has no return' },

  MDL3001: { title: 'unknown keyword argument' },
  MDL3002: { title: 'missing argument' },
  MDL3003: { title: 'too many arguments' },
  MDL3004: { title: 'wrong argument type' },
  MDL3005: { title: 'argument given twice' },
  MDL3006: { title: 'invalid argument value' },
  MDL3007: { title: 'wrong number of values to unpack' },
  MDL3008: { title: 'not callable' },
  MDL3009: { title: 'invalid operand types' },
  MDL3010: { title: 'shared layer is incompatible' },
  MDL3011: { title: 'model input type mismatch' },
  MDL3012: { title: 'statement not allowed here' },
  MDL3013: { title: 'backward rule matches no layer', hint: 'see the layer names and ops with `mdl summary`' },
  MDL3014: { title: 'backward strategy cannot handle this layer' },
  MDL3015: { title: 'backward strategies conflict' },
  MDL3016: {
    title: 'optional path and skip differ in shape',
    hint: 'a sub-network that skips the path must get a tensor of the same shape from `skip`',
  },

  MDL4001: { title: 'shape mismatch' },
  MDL4002: { title: 'incompatible broadcast' },
  MDL4003: { title: 'axis out of range' },
  MDL4004: { title: 'non-positive output size' },
  MDL4005: { title: 'channels not divisible by groups' },
  MDL4006: { title: 'reshape size mismatch' },
  MDL4007: { title: 'symbolic dimension where a number is needed' },
  MDL4008: { title: 'wrong rank' },
  MDL4009: { title: 'dtype mismatch' },
  MDL4010: { title: 'output size does not divide the input' },

  MDL5001: { title: 'import not found' },
  MDL5002: { title: 'import cycle' },
  MDL5003: { title: 'cannot read file' },
  MDL5004: {
    title: 'output folder not written',
    hint: 'mdl compile writes only into a new or empty folder, or one it wrote before',
  },
  MDL5005: {
    title: 'not a gzip file',
    hint: 'a file named .gz must be gzip-compressed; a plain file needs another name',
  },
  MDL5006: { title: 'cannot write file' },
  MDL5007: {
    title: 'table unusable for --against',
    hint: 'give a CSV table (or .csv.gz) with a header row, a column of candidate names and a numeric column',
  },
  MDL5008: {
    title: 'data set not loaded',
    hint: '--data takes mnist, fashion-mnist, or a folder of IDX or CIFAR-10 files',
  },
  MDL5009: { title: 'cannot read checkpoint', hint: 'give a .safetensors file written by mdl train' },
  MDL5010: {
    title: 'checkpoint does not fit the model',
    hint: '--init takes a checkpoint of the same model (its layer names and shapes must match)',
  },
  MDL5011: { title: 'file too large' },
  MDL5012: {
    title: 'result file unusable',
    hint: '`mdl score --merge` takes the .jsonl or .csv files that `mdl score --out` wrote for one space and proxies',
  },

  MDL6001: { title: 'value not known at compile time' },
  MDL6002: { title: 'division by zero' },
  MDL6003: { title: 'index out of range' },
  MDL6004: { title: 'condition is not a bool' },
  MDL6005: { title: 'loop too long', hint: 'static loops are unrolled; keep them under 100000 iterations' },
  MDL6006: {
    title: 'recursion too deep',
    hint: 'blocks are expanded at compile time, so a block may not call itself without end',
  },
  MDL6007: { title: 'assertion failed' },
  MDL6008: {
    title: 'value too large',
    hint: 'compile-time lists and strings hold at most 1,000,000 elements, nested at most 256 deep',
  },
  MDL6009: {
    title: 'number out of range',
    hint: 'compile-time integers are exact up to 2^53 − 1, and numbers must be finite',
  },
  MDL6010: {
    title: 'compile-time budget exceeded',
    hint: 'a model is unrolled at compile time: at most 1,000,000 loop iterations, 5,000,000 statements executed, 100,000 block expansions and 100,000 layers',
  },
  MDL6011: {
    title: 'loss does not fit the model',
    hint: 'cross_entropy takes one f32 output [N, C] (logits); `--loss mse` fits any float output, `--loss output` a scalar one',
  },

  MDL7001: { title: 'bad command-line usage' },
  MDL7002: { title: 'unknown command', hint: '`mdl --help` lists the commands' },
  MDL7003: { title: 'unknown flag' },
  MDL7004: { title: 'wrong number of arguments' },
  MDL7005: { title: 'a flag that needs or excludes another' },
  MDL7006: {
    title: 'model is not an image classifier',
    hint: 'training needs one input [B, C, H, W], logits [B, classes] and the cross_entropy loss',
  },
  MDL7007: { title: 'model does not fit the data' },
  MDL7008: { title: 'no WebGPU adapter', hint: '`mdl device` shows what the runtime finds' },
  MDL7009: {
    title: 'no WGSL kernels for this model',
    hint: 'a kernel too large for the adapter may fit with a smaller --batch; an op without a lowering is not supported on WebGPU yet',
  },
  MDL7010: { title: 'training cannot start or go on' },
  MDL7011: {
    title: 'a package mdl needs is not installed',
    hint: 'install it beside mdl (npm install PACKAGE), or reinstall mdl with its dependencies',
  },
  MDL7012: {
    title: 'continual training cannot be set up',
    hint: 'a stream needs enough samples of every class; online_lora needs `backward [...] = lora(…)` rules',
  },

  MDL8001: {
    title: 'search log of another search',
    hint: '`mdl search --out FILE` resumes the search that wrote FILE; give another file for another search',
  },
  MDL8002: { title: 'a candidate that cannot be written as a model file' },

  MDL8501: {
    title: 'no layer to perturb',
    hint: 'an exploration perturbs every conv2d and linear layer by default; `layers` (or --layers) takes name globs or op names',
  },
  MDL8502: { title: 'a layer whose noise cannot be keyed per sample' },
  MDL8503: {
    title: 'exploration too large for the noise counters',
    hint: 'samples × (elements of a layer output per sample) / 2 must stay below 2^32; explore a smaller split',
  },

  MDL8601: {
    title: 'no parameters to unlearn in',
    hint: "Fast-NTK linearises a ViT's prompt tokens (declared tensors named prompt…), else every batchnorm, by default; --layers takes name globs or op names of layers with parameters",
  },
  MDL8602: {
    title: 'forget set unusable',
    hint: '--forget-classes takes class indices (3 or 3,5); --forget-indices a file of training-sample indices separated by spaces, commas or new lines',
  },
  MDL8603: {
    title: 'the NTK system cannot be solved',
    hint: 'a λ of 0 needs a Jacobian of full rank; give --lambda a positive value',
  },
  MDL8604: {
    title: 'no embedding layer for teacher–student unlearning',
    hint: "teacher_student(embedding=…) names the encoder's last layer; `mdl summary` lists the layers",
  },
  MDL8605: { title: 'a model that teacher–student unlearning cannot split into encoder and decoder' },
  MDL8606: { title: 'a teacher_student() setting out of range' },
  MDL8607: {
    title: 'teacher–student unlearning without a trained model',
    hint: 'pass the trained checkpoint with --init; unlearning starts from trained weights',
  },

  MDL8701: {
    title: 'not an anytime network',
    hint: 'mark early exits with `exit(logits)` and skippable paths with `optional(path, skip)`',
  },
  MDL8702: {
    title: 'too many sub-networks',
    hint: 'each optional path doubles the sub-networks before each exit; mark fewer paths optional',
  },
  MDL8703: {
    title: 'anytime exit of the wrong shape',
    hint: 'every exit must give logits [B, classes] like the model output',
  },
  MDL8704: { title: 'unknown anytime sampler', hint: 'samplers: uniform, sandwich, tips' },

  MDL9001: { title: 'internal error' },
} as const satisfies Record<string, DiagnosticInfo>;

export type DiagnosticCode = keyof typeof DIAGNOSTICS;
