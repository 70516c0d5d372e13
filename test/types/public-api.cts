// The CommonJS view of the package: `require('tensorforge')` resolves the
// "require" types (dist/index.d.ts). It must declare exactly what the ES
// module entry does (dist/index.d.mts, checked in detail by public-api.mts),
// apart from the ESM-only default export of the whole namespace.
import { expectTypeOf } from 'vitest';
import tf = require('tensorforge');
import type * as esm from 'tensorforge' with { 'resolution-mode': 'import' };

expectTypeOf<typeof tf>().toEqualTypeOf<Omit<typeof esm, 'default'>>();
expectTypeOf<typeof esm.default>().toEqualTypeOf<typeof tf>();
expectTypeOf(tf.zeros([2], { dtype: 'float64' }).add(tf.ones([2], { dtype: 'int32' }))).toEqualTypeOf<tf.Tensor<'float64'>>();
// @ts-expect-error dtype names are checked in CommonJS too
tf.zeros([2], { dtype: 'float16' });
