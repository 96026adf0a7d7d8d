// README.md is the user's manual: it must name every config key, every command and every op
// with a gradient rule, and its test command must be what CI runs.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { SECTIONS, sectionSchema } from '../schemas/config.ts';
import { NON_DIFFERENTIABLE, RULES } from '../pipeline/lib/autodiff/rules/index.ts';
import { ROOT } from './helpers/cli.ts';

const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');

test('README documents every config key', () => {
  const missing = SECTIONS.flatMap((s) => Object.keys(sectionSchema(s).shape).map((k) => `${s}.${k}`)).filter((k) => !readme.includes(`\`${k}\``));
  assert.deepEqual(missing, []);
});

test('README starts with the two commands, and .ci/run runs its test command', () => {
  const block = /```sh\n([\s\S]*?)```/.exec(readme)?.[1] ?? '';
  const [main, tests] = block.trim().split('\n').map((l) => l.replace(/#.*$/, '').trim());
  assert.equal(main, 'npm ci && npx pipeline run all');
  assert.equal(tests, 'npm ci && npm test');
  assert.ok(readme.indexOf(block) < 200, 'the commands come first');
  const ci = readFileSync(join(ROOT, '.ci/run'), 'utf8');
  assert.ok(ci.split('\n').includes(tests), `.ci/run does not run "${tests}"`);
});

test('README names every command of the CLI', () => {
  const cli = readFileSync(join(ROOT, 'pipeline/cli.ts'), 'utf8');
  const names = [...cli.matchAll(/\{ name: '([a-z]+)'/g)].map((m) => m[1]!);
  assert.ok(names.length >= 4);
  for (const n of names) assert.match(readme, new RegExp(`pipeline ${n}\\b`), `README does not mention \`pipeline ${n}\``);
});

test('README lists every op type with a gradient rule or declared non-differentiable, and no other', () => {
  const section = /### Ops λ̂ can differentiate\n([\s\S]*?)\n### /.exec(readme)?.[1] ?? '';
  const listed = (label: string): string[] => {
    const line = section.split('\n').find((l) => l.startsWith(`| ${label} |`)) ?? '';
    return [...line.matchAll(/`([A-Za-z]+)`/g)].map((m) => m[1]!).sort();
  };
  assert.deepEqual(listed('gradient rule'), [...RULES.keys()].sort());
  assert.deepEqual(listed('stops the gradient'), [...NON_DIFFERENTIABLE].sort());
});
