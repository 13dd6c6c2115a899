// A package loaded on demand that is not installed is an error naming it; an error inside an
// installed package is not mistaken for that.
import { describe, expect, it } from 'vitest';
import { importPackage, MissingPackageError, missingPackageOf } from '../../runtime/missing-package.js';

describe('packages loaded on demand', () => {
  it('names the package that is missing and what needs it', async () => {
    const name = 'mdl-no-such-package';
    const e = await importPackage(name, 'the test', () => import(name)).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(MissingPackageError);
    expect((e as MissingPackageError).pkg).toBe(name);
    expect((e as Error).message).toBe('the package `mdl-no-such-package` is not installed; the test needs it');
  });

  it('passes other failures through, and loads what is there', async () => {
    const inner = Object.assign(new Error("Cannot find package 'something-else'"), { code: 'ERR_MODULE_NOT_FOUND' });
    await expect(importPackage('webgpu', 'x', () => Promise.reject(inner))).rejects.toBe(inner);
    const m = await importPackage('chevrotain', 'x', () => import('chevrotain'));
    expect(typeof m.createToken).toBe('function');
  });
});

describe('missingPackageOf', () => {
  it("reads the package out of Node's error, scoped or not, and nothing else", () => {
    const err = (message: string, code = 'ERR_MODULE_NOT_FOUND') => Object.assign(new Error(message), { code });
    expect(missingPackageOf(err("Cannot find package 'ts-morph' imported from /x/generate.js"))).toBe('ts-morph');
    expect(missingPackageOf(err("Cannot find package '@webgpu/types' imported from /x.js"))).toBe('@webgpu/types');
    expect(missingPackageOf(err("Cannot find module '/x/y.js' imported from /x.js"))).toBeUndefined();
    expect(missingPackageOf(err("Cannot find package 'ts-morph'", 'EACCES'))).toBeUndefined();
  });
});
