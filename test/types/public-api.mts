// The public types as an ES module importing 'tensorforge' sees them (the
// package's own "exports", resolved by name: the built dist/index.d.mts).
// Nothing here runs: test/types.test.ts type-checks this file with tsc, so a
// wrong assertion or an unused @ts-expect-error fails the suite.
import { expectTypeOf } from 'vitest';
import {
  argmax, arange, eye, full, nn, noGrad, ones, optim, rand, randn, tensor, tidy, zeros, zerosLike,
  type DType, type Shape, type Tensor,
} from 'tensorforge';

declare const f32: Tensor<'float32'>;
declare const f64: Tensor<'float64'>;
declare const i32: Tensor<'int32'>;
declare const b8: Tensor<'bool'>;
declare const anyT: Tensor;

// ---------------------------------------------------------------- creation
expectTypeOf(zeros([2, 3])).toEqualTypeOf<Tensor<'float32'>>();
expectTypeOf(zeros([2], { dtype: 'float64' })).toEqualTypeOf<Tensor<'float64'>>();
expectTypeOf(ones([2], { dtype: 'int32' })).toEqualTypeOf<Tensor<'int32'>>();
expectTypeOf(full([2], true, { dtype: 'bool' })).toEqualTypeOf<Tensor<'bool'>>();
expectTypeOf(tensor([1.5, 2], { dtype: 'float32' })).toEqualTypeOf<Tensor<'float32'>>();
expectTypeOf(randn([2])).toEqualTypeOf<Tensor<'float32'>>();
expectTypeOf(rand([2], { dtype: 'float64' })).toEqualTypeOf<Tensor<'float64'>>();
expectTypeOf(zerosLike(i32)).toEqualTypeOf<Tensor<'int32'>>();
// The dtype of these depends on the values (int32 or float32), so it stays open.
expectTypeOf(tensor([[1, 2, 3]])).toEqualTypeOf<Tensor<DType>>();
expectTypeOf(arange(3)).toEqualTypeOf<Tensor>();

// Options objects are typed: dtype names, devices, flags.
// @ts-expect-error float16 is not a dtype
zeros([2], { dtype: 'float16' });
// @ts-expect-error random draws are floating point only
randn([2], { dtype: 'int32' });
// @ts-expect-error devices are 'cpu' | 'cuda'
ones([2], { device: 'gpu' });
// @ts-expect-error requiresGrad is a boolean
tensor([1.5], { requiresGrad: 'yes' });
// @ts-expect-error unknown option names are rejected
zeros([2], { dtpye: 'float32' });
// @ts-expect-error eye's size is a number, not a shape
eye([2, 2]);

// --------------------------------------------------- dtype through the ops
// Binary ops promote along bool < int32 < float32 < float64.
expectTypeOf(f32.add(i32)).toEqualTypeOf<Tensor<'float32'>>();
expectTypeOf(i32.add(f32)).toEqualTypeOf<Tensor<'float32'>>();
expectTypeOf(f32.mul(f64)).toEqualTypeOf<Tensor<'float64'>>();
expectTypeOf(i32.sub(i32)).toEqualTypeOf<Tensor<'int32'>>();
expectTypeOf(f32.maximum(b8)).toEqualTypeOf<Tensor<'float32'>>();
// Arithmetic on bools counts them as int32 (true + true is 2).
expectTypeOf(b8.add(b8)).toEqualTypeOf<Tensor<'int32'>>();
expectTypeOf(b8.neg()).toEqualTypeOf<Tensor<'int32'>>();
expectTypeOf(b8.sum()).toEqualTypeOf<Tensor<'int32'>>();
expectTypeOf(b8.prod()).toEqualTypeOf<Tensor<'int32'>>();
// A float scalar can turn an int tensor into float32; an int scalar cannot.
expectTypeOf(i32.mul(2)).toEqualTypeOf<Tensor<'int32' | 'float32'>>();
expectTypeOf(f64.mul(2)).toEqualTypeOf<Tensor<'float64'>>();
// Float-only ops give float32 for ints and keep float64.
expectTypeOf(i32.div(i32)).toEqualTypeOf<Tensor<'float32'>>();
expectTypeOf(i32.exp()).toEqualTypeOf<Tensor<'float32'>>();
expectTypeOf(f64.tanh()).toEqualTypeOf<Tensor<'float64'>>();
expectTypeOf(i32.mean()).toEqualTypeOf<Tensor<'float32'>>();
expectTypeOf(f64.softmax(-1)).toEqualTypeOf<Tensor<'float64'>>();
// Shape-preserving ops keep the dtype.
expectTypeOf(f64.relu()).toEqualTypeOf<Tensor<'float64'>>();
expectTypeOf(i32.abs()).toEqualTypeOf<Tensor<'int32'>>();
expectTypeOf(f32.reshape(2, 3).t().slice(0, 1)).toEqualTypeOf<Tensor<'float32'>>();
expectTypeOf(f64.split(2)).toEqualTypeOf<Tensor<'float64'>[]>();
// Matrix products promote, and ints multiply as float32.
expectTypeOf(f32.matmul(f64)).toEqualTypeOf<Tensor<'float64'>>();
expectTypeOf(i32.matmul(i32)).toEqualTypeOf<Tensor<'float32'>>();
expectTypeOf(f64.mm(f64)).toEqualTypeOf<Tensor<'float64'>>();
// Comparisons and predicates give bool; arg-reductions give int32.
expectTypeOf(f32.gt(0)).toEqualTypeOf<Tensor<'bool'>>();
expectTypeOf(i32.eq(f32)).toEqualTypeOf<Tensor<'bool'>>();
expectTypeOf(f64.isnan()).toEqualTypeOf<Tensor<'bool'>>();
expectTypeOf(b8.logicalAnd(b8)).toEqualTypeOf<Tensor<'bool'>>();
expectTypeOf(f32.argmax(1)).toEqualTypeOf<Tensor<'int32'>>();
expectTypeOf(f32.max(1)).toEqualTypeOf<{ values: Tensor<'float32'>; indices: Tensor<'int32'> }>();
expectTypeOf(f32.max()).toEqualTypeOf<Tensor<'float32'>>();
// Conversions.
expectTypeOf(f32.to('float64')).toEqualTypeOf<Tensor<'float64'>>();
expectTypeOf(i32.to('cuda')).toEqualTypeOf<Tensor<'int32'>>();
expectTypeOf(b8.float()).toEqualTypeOf<Tensor<'float32'>>();
expectTypeOf(f32.int()).toEqualTypeOf<Tensor<'int32'>>();
// The free functions take any Tensor; those with a fixed result dtype say so.
expectTypeOf(argmax(f32, 1)).toEqualTypeOf<Tensor<'int32'>>();

// --------------------------------------------------- data, shape, autograd
expectTypeOf(f32.data()).toEqualTypeOf<Float32Array>();
expectTypeOf(f64.data()).toEqualTypeOf<Float64Array>();
expectTypeOf(i32.data()).toEqualTypeOf<Int32Array>();
expectTypeOf(b8.data()).toEqualTypeOf<Uint8Array>();
expectTypeOf(f32.dataAsync()).toEqualTypeOf<Promise<Float32Array>>();
expectTypeOf(f32.item()).toEqualTypeOf<number>();
expectTypeOf(b8.item()).toEqualTypeOf<boolean>();
expectTypeOf(f32.shape).toEqualTypeOf<readonly number[]>();
expectTypeOf<Shape>().toEqualTypeOf<readonly number[]>();
expectTypeOf(f32.size()).toEqualTypeOf<readonly number[]>();
expectTypeOf(f32.size(0)).toEqualTypeOf<number>();
expectTypeOf(f32.dtype).toEqualTypeOf<'float32'>();
expectTypeOf(anyT.dtype).toEqualTypeOf<DType>();
expectTypeOf(f32.device).toEqualTypeOf<'cpu' | 'cuda'>();
// @ts-expect-error shapes are readonly
f32.shape.push(1);
// @ts-expect-error shapes are readonly
f32.shape[0] = 3;
// @ts-expect-error the dtype is fixed at creation
f32.dtype = 'float64';
expectTypeOf(f32.grad).toEqualTypeOf<Tensor<'float32'> | null>();
expectTypeOf(noGrad(() => f32.add(1))).toEqualTypeOf<Tensor<'float32'>>();
expectTypeOf(tidy(() => 3)).toEqualTypeOf<number>();

// -------------------------------------------------------------------- nn
const lin = new nn.Linear(4, 2, { bias: false });
expectTypeOf(lin.forward(f32)).toEqualTypeOf<Tensor>();
expectTypeOf(lin.weight).toEqualTypeOf<nn.Parameter>();
expectTypeOf(lin.bias).toEqualTypeOf<nn.Parameter | null>();
expectTypeOf(lin).toExtend<nn.Module>();
expectTypeOf(lin.parameters()).toEqualTypeOf<nn.Parameter[]>();
expectTypeOf(lin.stateDict()).toEqualTypeOf<Record<string, Tensor>>();
expectTypeOf(lin.train()).toEqualTypeOf<nn.Linear>();
expectTypeOf(lin.to('float64')).toEqualTypeOf<nn.Linear>();
expectTypeOf(nn.functional.crossEntropy(f32, i32)).toEqualTypeOf<Tensor>();
// @ts-expect-error layer options are typed
new nn.Linear(4, 2, { bias: 'no' });
// @ts-expect-error sizes are numbers
new nn.Linear('4', 2);

// Keras-style training is declared on every Module.
const model = new nn.Sequential(lin, new nn.ReLU());
expectTypeOf(model.compile({ optimizer: 'adam', loss: 'mse', metrics: ['accuracy'] })).toEqualTypeOf<nn.Sequential>();
expectTypeOf(model.fit(f32, f32, { epochs: 2 })).resolves.toHaveProperty('history').toEqualTypeOf<Record<string, number[]>>();
expectTypeOf(model.evaluate(f32, f32)).toEqualTypeOf<Promise<Record<string, number>>>();
expectTypeOf(model.predict(f32)).toEqualTypeOf<Tensor>();
// @ts-expect-error an optimizer name outside the list
model.compile({ optimizer: 'lbfgs', loss: 'mse' });
// @ts-expect-error the loss is required
model.compile({ optimizer: 'adam' });

// ----------------------------------------------------------------- optim
expectTypeOf(optim.Adam).toBeConstructibleWith(lin.parameters(), { lr: 1e-3, betas: [0.9, 0.999] });
expectTypeOf(optim.SGD).toBeConstructibleWith(lin.parameters(), { lr: 0.1, momentum: 0.9, nesterov: true });
expectTypeOf(optim.SGD).toBeConstructibleWith([{ params: lin.parameters(), lr: 0.01 }]);
expectTypeOf(new optim.AdamW(lin.parameters())).toExtend<optim.Optimizer<optim.AdamOptions>>();
expectTypeOf(new optim.SGD(lin.parameters()).paramGroups[0].momentum).toEqualTypeOf<number>();
// @ts-expect-error the learning rate is a number
new optim.SGD(lin.parameters(), { lr: '0.1' });
// @ts-expect-error momentum is SGD's option, not Adam's
new optim.Adam(lin.parameters(), { momentum: 0.9 });
// @ts-expect-error betas are a pair
new optim.Adam(lin.parameters(), { betas: [0.9] });
// @ts-expect-error parameters are tensors
new optim.RMSprop([1, 2, 3]);
