// The op list lives once, in native/common/ops.h; the TS op codes must agree.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BinaryOp, ReduceOp, UnaryOp, FLOAT_UNARY, BOOL_UNARY, FLOAT_BINARY, BOOL_BINARY } from '../src/backend/opcodes';
import { DTYPE_CODE } from '../src/dtype';

const header = readFileSync(join(__dirname, '..', 'native', 'common', 'ops.h'), 'utf8');

function parse(macro: string): { name: string; code: number; kind?: string }[] {
  const start = header.indexOf(`#define ${macro}(X)`);
  const body = header.slice(start).split('\n\n')[0];
  return [...body.matchAll(/X\((\w+), (\d+)(?:, (\w))?\)/g)].map((m) => ({ name: m[1], code: Number(m[2]), kind: m[3] }));
}

describe('op list', () => {
  it('unary codes and kinds match ops.h', () => {
    const ops = parse('TF_UNARY_OPS');
    expect(ops.length).toBeGreaterThan(20);
    expect(Object.fromEntries(ops.map((o) => [o.name, o.code]))).toEqual(UnaryOp);
    expect(new Set(ops.filter((o) => o.kind === 'F').map((o) => o.name))).toEqual(FLOAT_UNARY);
    expect(new Set(ops.filter((o) => o.kind === 'B').map((o) => o.name))).toEqual(BOOL_UNARY);
  });
  it('binary codes and kinds match ops.h', () => {
    const ops = parse('TF_BINARY_OPS');
    expect(Object.fromEntries(ops.map((o) => [o.name, o.code]))).toEqual(BinaryOp);
    expect(new Set(ops.filter((o) => o.kind === 'F').map((o) => o.name))).toEqual(FLOAT_BINARY);
    expect(new Set(ops.filter((o) => o.kind === 'B').map((o) => o.name))).toEqual(BOOL_BINARY);
  });
  it('reduce codes match ops.h', () => {
    expect(Object.fromEntries(parse('TF_REDUCE_OPS').map((o) => [o.name, o.code]))).toEqual(ReduceOp);
  });
  it('dtype codes match dtype.h', () => {
    const dt = readFileSync(join(__dirname, '..', 'native', 'common', 'dtype.h'), 'utf8');
    const m = /F32 = (\d+), F64 = (\d+), I32 = (\d+), BOOL = (\d+)/.exec(dt)!;
    expect([DTYPE_CODE.float32, DTYPE_CODE.float64, DTYPE_CODE.int32, DTYPE_CODE.bool]).toEqual(m.slice(1).map(Number));
  });
});
